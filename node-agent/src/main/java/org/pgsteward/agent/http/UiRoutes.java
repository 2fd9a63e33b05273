package org.pgsteward.agent.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.model.headers.SetCookie;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.pgsteward.agent.ui.UiData;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.ClusterView;
import org.pgsteward.protocol.api.EventRow;

/**
 * The web status page on {@code agent.http} (read-only: only GET, nothing here changes the cluster):
 * <ul>
 *   <li>{@code /ui?token=TOKEN} with the admin token sets the HttpOnly cookie (Secure with HTTPS, SameSite=Strict) and
 *       redirects to {@code /ui}; a wrong token is refused (401) and sets nothing;</li>
 *   <li>{@code /ui} the page, {@code /ui/static/...} its script, style and the chart library (from the uPlot WebJar on
 *       the classpath: nothing is fetched from elsewhere);</li>
 *   <li>{@code /ui/data/cluster} ({@code cluster show --json}), {@code /ui/data/events} ({@code cluster event}),
 *       {@code /ui/data/lag} (each standby's lag over the last hour) and {@code /ui/data/status} (this agent's
 *       settings and record), JSON.</li>
 * </ul>
 * Everything but the login needs the cookie or {@code Authorization: Bearer <token>}; 401 otherwise. The cookie holds
 * a one-way digest of the token, never the token: it opens this page, not {@code /api/v1}.
 */
public final class UiRoutes extends AllDirectives {

    static final String COOKIE = "pgsteward_ui";
    /** Answers of the expensive views are shared by every open page for this long (one probe round, not one per tab). */
    private final Duration reuse;

    private final AgentFacade agent;
    private final UiData data;
    private final ApiToken token;
    private final boolean https;
    private final ObjectMapper mapper = Json.mapper();
    private final Memo<ClusterView> cluster;
    private final Memo<List<EventRow>> events;

    /** What {@code /ui/static/NAME} serves: a resource of the classpath and its type. */
    private record Asset(String resource, ContentType type) {}

    private static final Map<String, Asset> ASSETS = assets();

    /** The number of events the page shows. */
    static final int EVENTS = 200;

    public UiRoutes(AgentFacade agent, UiData data, ApiToken token, boolean https, Duration monitorInterval) {
        this.agent = agent;
        this.data = data;
        this.token = token;
        this.https = https;
        this.reuse = monitorInterval;
        this.cluster = new Memo<>(agent::cluster);
        this.events = new Memo<>(() -> agent.events(EVENTS));
    }

    public Route routes() {
        return pathPrefix("ui", () -> get(() -> concat(
                pathEnd(() -> parameterOptional("token", t -> t.map(this::login).orElseGet(() -> allowed(this::page)))),
                pathPrefix("static", () -> path(segment(), name -> allowed(() -> asset(name)))),
                pathPrefix("data", () -> allowed(() -> concat(
                        path("cluster", () -> onSuccess(cluster.get(reuse), this::json)),
                        path("events", () -> onSuccess(events.get(reuse), this::json)),
                        path("lag", () -> json(data.lag())),
                        path("status", () -> json(data.status()))))))));
    }

    /** The token once: a cookie instead (so the token leaves the address bar and the history), then the page. */
    private Route login(String given) {
        if (!token.accepts(Optional.of("Bearer " + given))) {
            return refuse("wrong token");
        }
        HttpCookie cookie = HttpCookie.create(COOKIE, token.uiCookieValue()).withPath("/ui").withHttpOnly(true)
                .withSecure(https).withSameSite(SameSite.Strict);
        return respondWithHeaders(List.of(SetCookie.create(cookie), RawHeader.create("Cache-Control", "no-store"),
                RawHeader.create("Referrer-Policy", "no-referrer")), () -> redirect(Uri.create("/ui"), StatusCodes.SEE_OTHER));
    }

    /** With the cookie or the bearer token: the inner route; else 401 saying how to get in. */
    private Route allowed(java.util.function.Supplier<Route> inner) {
        return optionalCookie(COOKIE, cookie -> optionalHeaderValueByName("Authorization", header -> {
            boolean ok = cookie.map(c -> token.acceptsUiCookie(c.value())).orElse(false) || token.accepts(header);
            return ok ? inner.get() : refuse(cookie.isPresent() ? "the cookie is not this agent's (its token changed?)"
                    : "no token");
        }));
    }

    private Route refuse(String why) {
        String text = "401 " + why + ": open /ui?token=TOKEN once with this agent's API token (pgsteward.agent."
                + "api-token-file, by default <agent.state-dir>/" + ApiToken.DEFAULT_FILE_NAME + "); it sets a cookie"
                + " for this page. Scripts send Authorization: Bearer TOKEN.\n";
        return complete(org.apache.pekko.http.javadsl.model.HttpResponse.create()
                .withStatus(StatusCodes.UNAUTHORIZED)
                .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, text)));
    }

    private Route page() {
        return asset("index.html");
    }

    private Route asset(String name) {
        Asset a = ASSETS.get(name);
        if (a == null) {
            return complete(StatusCodes.NOT_FOUND, "no such file: " + name + "\n");
        }
        byte[] body = read(a.resource());
        // no inline script or style, nothing from another origin, never framed
        return respondWithHeaders(List.of(RawHeader.create("Content-Security-Policy", "default-src 'self'; img-src 'self' data:;"
                        + " frame-ancestors 'none'; form-action 'none'"), RawHeader.create("X-Content-Type-Options", "nosniff"),
                RawHeader.create("Cache-Control", "no-cache"), RawHeader.create("Referrer-Policy", "no-referrer")),
                () -> complete(HttpEntities.create(a.type(), body)));
    }

    private <T> Route json(T value) {
        return respondWithHeader(RawHeader.create("Cache-Control", "no-store"),
                () -> complete(StatusCodes.OK, value, Jackson.<T>marshaller(mapper)));
    }

    private static Map<String, Asset> assets() {
        String uplot = "META-INF/resources/webjars/uplot/" + webjarVersion("uplot") + "/dist/";
        ContentType js = ContentTypes.create(org.apache.pekko.http.javadsl.model.MediaTypes.APPLICATION_JAVASCRIPT,
                org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);
        ContentType css = ContentTypes.create(org.apache.pekko.http.javadsl.model.MediaTypes.TEXT_CSS,
                org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8);
        String own = "org/pgsteward/agent/ui/";
        return Map.of(
                "index.html", new Asset(own + "index.html", ContentTypes.TEXT_HTML_UTF8),
                "ui.js", new Asset(own + "ui.js", js),
                "ui.css", new Asset(own + "ui.css", css),
                "uPlot.iife.min.js", new Asset(uplot + "uPlot.iife.min.js", js),
                "uPlot.min.css", new Asset(uplot + "uPlot.min.css", css));
    }

    /** The version of a WebJar on the classpath, from its Maven metadata: the pom pins it in one place. */
    private static String webjarVersion(String artifact) {
        String path = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (InputStream in = UiRoutes.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is not on the classpath (the " + artifact + " WebJar)");
            }
            var p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(String resource) {
        try (InputStream in = UiRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One computation shared by the requests that arrive while it runs or within {@code reuse} after it finished, so
     * any number of open pages costs one probe round per interval.
     */
    static final class Memo<T> {
        private final java.util.function.Supplier<CompletionStage<T>> work;
        private CompletionStage<T> last;
        private long doneAtNanos;
        private boolean done;

        Memo(java.util.function.Supplier<CompletionStage<T>> work) {
            this.work = work;
        }

        synchronized CompletionStage<T> get(Duration reuse) {
            if (last == null || (done && System.nanoTime() - doneAtNanos >= reuse.toNanos())) {
                done = false;
                CompletionStage<T> next = work.get();
                last = next;
                next.whenComplete((v, e) -> finished(next));
            }
            return last;
        }

        private synchronized void finished(CompletionStage<T> which) {
            if (which == last) {
                done = true;
                doneAtNanos = System.nanoTime();
            }
        }
    }
}
