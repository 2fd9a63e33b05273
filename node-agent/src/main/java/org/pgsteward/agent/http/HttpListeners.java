package org.pgsteward.agent.http;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.pgsteward.agent.AgentStartException;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.tls.TlsFiles;
import org.pgsteward.protocol.ExitCode;

/**
 * The agent's listeners: {@code agent.http} (admin API with the bearer token, plus the health endpoints; HTTPS only
 * when {@code agent.tls} is set, with this node's certificate) and, where set, {@code agent.health-http} (health
 * endpoints only, always plain HTTP: load balancers check it without certificates, and it carries no secret). A
 * problem with either, or with the token, stops the start naming the key.
 */
public final class HttpListeners {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HttpListeners.class);

    private HttpListeners() {}

    /** Binds both listeners and waits until they listen. */
    public static void bind(ActorSystem<?> system, NodeConfig config, Optional<TlsFiles> tls, AgentFacade facade,
                            BooleanSupplier mayWrite, Duration timeout) throws InterruptedException {
        bind(system, config, tls, facade, mayWrite, timeout, Optional.empty());
    }

    /** As above, with the web status page ({@code /ui}) on {@code agent.http} when {@code ui} is given. */
    public static void bind(ActorSystem<?> system, NodeConfig config, Optional<TlsFiles> tls, AgentFacade facade,
                            BooleanSupplier mayWrite, Duration timeout, Optional<org.pgsteward.agent.ui.UiData> ui)
            throws InterruptedException {
        ApiToken token;
        try {
            token = ApiToken.loadOrCreate(config);
        } catch (RuntimeException e) {
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": pgsteward.agent.api-token-file: "
                    + e.getMessage(), e);
        }
        var api = new HttpApi(facade, mayWrite, token, ui.map(d -> new UiRoutes(facade, d, token, tls.isPresent(),
                config.agent().monitorInterval())));
        var http = config.agent().http();
        await(api.bind(system, http.host(), http.port(), tls.map(TlsFiles::serverContext)).toCompletableFuture(), config,
                "pgsteward.agent.http", http, timeout);
        log.info("admin API at {}://{}: /api/v1 needs the bearer token in {}", tls.isPresent() ? "https" : "http", http,
                ApiToken.file(config));
        if (ui.isPresent()) {
            log.info("web status page at {}://{}/ui?token=TOKEN (the token of {})", tls.isPresent() ? "https" : "http",
                    http, ApiToken.file(config));
        }
        var health = config.agent().healthHttp();
        if (health.isPresent()) {
            await(api.bindHealth(system, health.get().host(), health.get().port()).toCompletableFuture(), config,
                    "pgsteward.agent.health-http", health.get(), timeout);
            log.info("health checks (no credentials, read-only) at {}", health.get());
        }
    }

    private static void await(java.util.concurrent.CompletableFuture<?> binding, NodeConfig config, String key,
                              NodeConfig.HostPort address, Duration timeout) throws InterruptedException {
        try {
            binding.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new AgentStartException(ExitCode.ERR_BAD_CONFIG, config.source() + ": " + key + ": cannot listen on "
                    + address + ": " + cause.getMessage(), cause);
        }
    }
}
