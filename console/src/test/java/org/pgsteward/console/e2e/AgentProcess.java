package org.pgsteward.console.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pgsteward.agent.testing.PgTestEnvironment;

/**
 * A real {@code pgsteward-agent} JVM process for end-to-end tests, started from this test's
 * classpath with a config file; stdout/stderr go to a log file shown when a test fails.
 */
public final class AgentProcess implements AutoCloseable {

    private final String name;
    private final Path configFile;
    private final Path logFile;
    private final String httpAddress;
    private Process process;
    private List<String> prefix = List.of();

    /** Runs the agent under {@code command} (e.g. {@code ip netns exec NS}: on another host of a test network). */
    public AgentProcess runningUnder(List<String> command) {
        prefix = List.copyOf(command);
        return this;
    }

    public AgentProcess(String name, Path configFile, Path logFile, String httpAddress) {
        this.name = name;
        this.configFile = configFile;
        this.logFile = logFile;
        this.httpAddress = httpAddress;
    }

    public String name() {
        return name;
    }

    public Path configFile() {
        return configFile;
    }

    public String httpAddress() {
        return httpAddress;
    }

    /** Starts the agent and waits until its HTTP API answers. */
    public AgentProcess start() {
        launch();
        return awaitReady();
    }

    /** Starts agents side by side (each JVM start takes seconds) and waits until every one answers. */
    public static void startAll(List<AgentProcess> agents) {
        agents.forEach(AgentProcess::launch);
        agents.forEach(AgentProcess::awaitReady);
    }

    /** Starts the agent without waiting for it (to kill it at any moment of its start). */
    public AgentProcess launchOnly() {
        launch();
        return this;
    }

    /** Starts an agent expected to refuse to start: its exit code, once it has exited (within {@code timeout}). */
    public int runToExit(Duration timeout) {
        launch();
        Wait.until("agent " + name + " exits", timeout, () -> !process.isAlive());
        return process.exitValue();
    }

    /** Starts the agent process without waiting for it. */
    private void launch() {
        List<String> argv = new ArrayList<>(prefix);
        String launcher = System.getProperty(LAUNCHER_PROPERTY, "");
        if (launcher.isEmpty()) {
            argv.addAll(javaCommand());
            argv.add("org.pgsteward.agent.Main");
        } else {
            argv.add(launcher); // as installed: its JVM options (conf/agent.jvm-options) and classpath
        }
        argv.add("-f");
        argv.add(configFile.toString());
        try {
            process = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start agent " + name, e);
        }
    }

    private AgentProcess awaitReady() {
        Wait.until("agent " + name + " answers on " + httpAddress, START_TIMEOUT, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("agent " + name + " exited with " + process.exitValue() + ":\n" + logTail());
            }
            return httpStatus("/api/v1/status") == 200;
        });
        return this;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: the agent dies without any cleanup, as on a host crash. */
    public void kill9() {
        if (process != null) {
            process.destroyForcibly();
            waitExit();
        }
    }

    /** SIGTERM: a clean stop. */
    public int stop() {
        if (process == null) {
            return -1;
        }
        process.destroy();
        return waitExit();
    }

    private int waitExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** HTTP status of GET path on this agent, or -1 when it does not answer. */
    public int httpStatus(String path) {
        try {
            HttpResponse<String> r = client(Duration.ofSeconds(2))
                    .send(authorized(HttpRequest.newBuilder(uri(path))).timeout(Duration.ofSeconds(5))
                            .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String httpGet(String path) {
        try {
            return client(Duration.ofSeconds(10)).send(authorized(HttpRequest.newBuilder(uri(path)))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String httpPost(String path, String json) {
        try {
            return client(Duration.ofSeconds(10)).send(authorized(HttpRequest.newBuilder(uri(path)))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The agent's agent.http URL for {@code path}: https when its config sets agent.tls, as the console does. */
    public URI uri(String path) {
        return URI.create((tlsCa().isPresent() ? "https://" : "http://") + httpAddress + path);
    }

    /** agent.tls.ca of this agent's config, if set. */
    public java.util.Optional<Path> tlsCa() {
        return org.pgsteward.agent.config.ConfigLoader.load(configFile).agent().tls().map(t -> t.ca());
    }

    /** A client for agent.http: trusting only the cluster's CA when agent.tls is set. */
    private HttpClient client(Duration connectTimeout) {
        var b = HttpClient.newBuilder().connectTimeout(connectTimeout);
        tlsCa().ifPresent(ca -> b.sslContext(org.pgsteward.agent.tls.PemCertificates.trusting(configFile, ca)));
        return b.build();
    }

    /** The agent's API token, found from its config file the way the console finds it; empty before its first start. */
    public java.util.Optional<String> apiToken() {
        return org.pgsteward.agent.http.ApiToken.read(org.pgsteward.agent.config.ConfigLoader.load(configFile));
    }

    /** With the agent's API token, as the console sends it (health endpoints ignore it). */
    private HttpRequest.Builder authorized(HttpRequest.Builder request) {
        apiToken().ifPresent(t -> request.header("Authorization", "Bearer " + t));
        return request;
    }

    /** Sends the agent's JVM a signal ("STOP", "CONT", ...) through the agent's command runner (argument list, timeout). */
    public void signal(String sig) {
        PgTestEnvironment.runner().run(org.pgsteward.agent.exec.ExternalCommand.of(Duration.ofSeconds(10),
                List.of("kill", "-" + sig, Long.toString(pid()))));
    }

    /** Whether the agent's whole log (not only its tail) contains {@code text}. */
    public boolean logContains(String text) {
        try {
            return Files.readString(logFile).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /** The agent's whole log (empty when there is none yet). */
    public String logText() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            return "";
        }
    }

    public String logTail() {
        try {
            String s = Files.readString(logFile);
            return s.length() > 8000 ? s.substring(s.length() - 8000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (isAlive()) {
            stop();
        }
    }

    /**
     * After a test: SIGKILL to every agent still running, then waits for all. A clean stop (tested on its own in
     * AgentLifecycleTest) of several members one after another costs seconds of cluster leaving per test.
     */
    public static void killAll(List<AgentProcess> agents) {
        for (AgentProcess a : agents) {
            if (a.isAlive()) {
                a.process.destroyForcibly();
            }
        }
        for (AgentProcess a : agents) {
            if (a.process != null) {
                a.waitExit();
            }
        }
    }

    /**
     * Benchmarks set this to scripts/pgsteward-agent: the agents then run as a user runs them (the launcher's JVM
     * options and the module's classpath) rather than on this test JVM's classpath.
     */
    public static final String LAUNCHER_PROPERTY = "pgsteward.test.agentLauncher";

    /** How long an agent may take to answer after its start (benchmarks on a loaded host raise it). */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(Integer.getInteger("pgsteward.test.agentStartSeconds", 120));

    /** java + this JVM's classpath, for agents and consoles alike. */
    static List<String> javaCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k",
                "-cp", System.getProperty("java.class.path"));
    }

    static {
        // agents run PostgreSQL tools as this user when root, like the tests' own servers
        PgTestEnvironment.osUser();
    }
}
