package org.pgsteward.console.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.pgsteward.agent.testing.PostgresExtension;

/**
 * The web status page (/ui) in a real browser: Debian's chromium, headless, driven through its chromedriver. One
 * cluster for both states: healthy (three nodes, node1 the primary, lag charts), then node1's PostgreSQL and agent
 * SIGKILLed (as {@link AutomaticFailoverTest} does) while a surviving agent's page stays open: it shows the new
 * primary, node1 as not answering, and the failover event with its reason. A screenshot of each state goes to
 * target/ui-screenshots/; {@code -Dpgsteward.test.uiScreenshotToDocs=true} also copies the second to ../docs/ui.png.
 */
class UiBrowserTest {

    private static final Path SHOTS = Path.of("target", "ui-screenshots");
    /** Script prefix: {@code f}, the newest event of a new primary after the first epoch (a failover), if any. */
    private static final String FAILOVER = "var f = Array.from(document.querySelectorAll('#events li.failover'))"
            + ".find(li => +li.dataset.epoch > 1);";

    @RegisterExtension
    final PostgresExtension pg = new PostgresExtension();

    @RegisterExtension
    final AgentFixture agents = new AgentFixture();

    @Test
    void givenThreeNodeCluster_whenThePrimaryIsKilled_thenASurvivorsPageShowsTheNewPrimaryAndTheFailover() throws Exception {
        // node2's agent first: it hosts the supervisor, so losing node1 does not move it
        HaCluster c = HaCluster.start(pg, agents, false, "", 1);
        TestNode watched = c.node(2);
        ChromeDriver browser = browser();
        try {
            String token = watched.agent().apiToken().orElseThrow();
            browser.get(watched.agent().uri("/ui?token=" + token).toString());
            assertEquals(watched.agent().uri("/ui").toString(), browser.getCurrentUrl(), "the token left the address bar");

            Wait.until("the page shows 3 nodes, node1 the primary, both standbys streaming from it, their lag charts",
                    Duration.ofSeconds(60), () ->
                    "node1".equals(js(browser, "return document.getElementById('primary').textContent"))
                            && count(browser, "#nodes tbody tr") == 3
                            && count(browser, "#topology .arrow") == 2
                            && count(browser, "#charts .chart canvas") == 2);
            assertEquals(List.of("node1", "node2", "node3"), texts(browser, "#nodes tbody tr td:nth-child(2)"));
            assertEquals(List.of("\u2191 streams from node1:", "\u2191 streams from node1:"), texts(browser, "#topology .arrow"));
            shot(browser, "1-healthy.png");

            TestNode node1 = c.node(1);
            node1.agent().kill9();
            HaCluster.killPostgres(node1);
            long killed = System.nanoTime();
            long[] writableAt = {0};
            Wait.until("the page shows a new primary, node1 down, and the failover event", Duration.ofSeconds(90), () -> {
                List<TestNode> w = c.writable();
                if (writableAt[0] == 0 && w.size() == 1 && w.get(0) != node1) {
                    writableAt[0] = System.nanoTime();
                }
                return w.size() == 1 && w.get(0) != node1
                        && w.get(0).name().equals(js(browser, "return document.getElementById('primary').textContent"))
                        && Boolean.TRUE.equals(js(browser, "var r = document.querySelector('#nodes tr[data-node-name=node1]');"
                        + " return r !== null && r.classList.contains('down')"))
                        && Boolean.TRUE.equals(js(browser, FAILOVER + " return f !== undefined && f.dataset.nodeId === '"
                        + w.get(0).id() + "' && f.textContent.includes('promoted')"));
            });
            long shown = System.nanoTime();
            System.out.printf("ui: the page showed the new primary %d ms after the kill, %d ms after it first accepted"
                    + " writes%n", (shown - killed) / 1_000_000, (shown - writableAt[0]) / 1_000_000);

            js(browser, FAILOVER + " f.querySelector('details').open = true; return null");
            String failover = (String) js(browser, FAILOVER + " return f.textContent");
            assertTrue(failover.contains("reason") && failover.contains("candidates") && failover.contains("votes from nodes")
                    && failover.contains("promoted"), "the failover opens into its reason, candidates, votes and steps: "
                    + failover);
            Path after = shot(browser, "2-after-failover.png");
            if (Boolean.getBoolean("pgsteward.test.uiScreenshotToDocs")) {
                Files.createDirectories(Path.of("..", "docs"));
                Files.copy(after, Path.of("..", "docs", "ui.png"), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            browser.quit();
        }
    }

    /** Debian's chromium through /usr/bin/chromedriver (no driver download); root in CI needs --no-sandbox. */
    private static ChromeDriver browser() {
        var options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1500", "--no-first-run", "--disable-extensions");
        var service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static Object js(ChromeDriver b, String script) {
        return ((JavascriptExecutor) b).executeScript(script);
    }

    private static long count(ChromeDriver b, String css) {
        return (Long) js(b, "return document.querySelectorAll(\"" + css + "\").length");
    }

    @SuppressWarnings("unchecked")
    private static List<String> texts(ChromeDriver b, String css) {
        return (List<String>) js(b, "return Array.from(document.querySelectorAll(\"" + css + "\")).map(e => e.textContent)");
    }

    private static Path shot(ChromeDriver b, String name) throws Exception {
        Files.createDirectories(SHOTS);
        Path dest = SHOTS.resolve(name);
        // the whole page, not only the window: Chrome's own capture beyond the viewport
        Map<String, Object> shot = b.executeCdpCommand("Page.captureScreenshot",
                Map.of("format", "png", "captureBeyondViewport", true));
        Files.write(dest, Base64.getDecoder().decode((String) shot.get("data")));
        return dest;
    }
}
