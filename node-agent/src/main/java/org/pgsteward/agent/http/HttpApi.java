package org.pgsteward.agent.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.pgsteward.agent.NodeAgent;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.ErrorView;

/**
 * The agent's HTTP face: health endpoints for load balancers and Prometheus metrics (open, read-only, also on a
 * listener of their own), and the JSON API the console uses (bearer token). Only maps HTTP to {@link AgentFacade}
 * calls; nothing is changed unless an authenticated, well-formed command asks for it.
 */
public final class HttpApi extends AllDirectives {

    /** Request bodies beyond this are refused (413): a command is a few hundred bytes. */
    public static final long MAX_BODY_BYTES = 64 * 1024;
    /** GET /api/v1/cluster and /events probe every node: at most this many run at once, more get 503. */
    public static final int MAX_EXPENSIVE_REQUESTS = 2;

    private final AgentFacade agent;
    private final java.util.function.BooleanSupplier mayWrite;
    private final ApiToken token;
    private final ObjectMapper mapper = Json.mapper();
    private final Semaphore expensive = new Semaphore(MAX_EXPENSIVE_REQUESTS);

    /**
     * @param mayWrite whether the cluster lets this node write (primary of its epoch holding the lease)
     * @param token    what every /api/v1 request must carry as {@code Authorization: Bearer <token>}
     */
    public HttpApi(AgentFacade agent, java.util.function.BooleanSupplier mayWrite, ApiToken token) {
        this(agent, mayWrite, token, java.util.Optional.empty());
    }

    /** @param ui the web status page (/ui), served beside the API when present */
    public HttpApi(AgentFacade agent, java.util.function.BooleanSupplier mayWrite, ApiToken token,
                   java.util.Optional<UiRoutes> ui) {
        this.agent = agent;
        this.mayWrite = mayWrite;
        this.token = token;
        this.ui = ui;
    }

    private final java.util.Optional<UiRoutes> ui;

    /** The admin listener ({@code agent.http}): health endpoints, metrics and the authenticated /api/v1. */
    public CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port) {
        return bind(system, host, port, java.util.Optional.empty());
    }

    /** As {@link #bind(ActorSystem, String, int)}; with {@code https}, HTTPS only (a plain HTTP request gets no answer). */
    public CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port,
                                               java.util.Optional<javax.net.ssl.SSLContext> https) {
        var server = Http.get(system).newServerAt(host, port);
        if (https.isPresent()) {
            server = server.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(https.get()));
        }
        return server.bind(routes());
    }

    /** The health listener ({@code agent.health-http}): only what load balancers and Prometheus read. */
    public CompletionStage<ServerBinding> bindHealth(ActorSystem<?> system, String host, int port) {
        return Http.get(system).newServerAt(host, port).bind(healthRoutes());
    }

    public Route routes() {
        return sealed(() -> concat(health(), ui.map(UiRoutes::routes).orElseGet(this::reject),
                pathPrefix("api", () -> pathPrefix("v1", () -> authenticated(this::api)))));
    }

    public Route healthRoutes() {
        return sealed(this::health);
    }

    private Route sealed(java.util.function.Supplier<Route> inner) {
        return handleExceptions(exceptions(), () -> handleRejections(rejections(), inner));
    }

    /** Read-only and without credentials: GET, HEAD and OPTIONS (HAProxy's {@code option httpchk OPTIONS /primary}). */
    private Route health() {
        java.util.function.Supplier<Route> primary = () -> probeAnswer(s -> PgStates.writablePrimary(s)
                && mayWrite.getAsBoolean(), "writable primary holding the lease");
        java.util.function.Supplier<Route> replica = () -> parameterOptional("lag", lag -> replicaAnswer(lag.map(HttpApi::parseLag)));
        return concat(
                path("health", () -> readOnly(() -> probeAnswer(PgStates::running, "PostgreSQL running"))),
                path("primary", () -> readOnly(primary)),
                path("read-write", () -> readOnly(primary)),
                path("replica", () -> readOnly(replica)),
                path("read-only", () -> readOnly(replica)),
                path("metrics", () -> readOnly(() -> complete(HttpEntities.create(
                        ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8"),
                        agent.metrics().getBytes(java.nio.charset.StandardCharsets.UTF_8))))));
    }

    private Route readOnly(java.util.function.Supplier<Route> answer) {
        // HEAD: pekko-http leaves out the body of a HEAD answer by itself; OPTIONS answers as GET would (Patroni does)
        return concat(get(answer), head(answer), options(answer));
    }

    /** 401 unless the request carries the token; nothing behind it runs otherwise. */
    private Route authenticated(java.util.function.Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> token.accepts(header) ? inner.get()
                : respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"pgsteward\""),
                () -> error(StatusCodes.UNAUTHORIZED, ExitCode.ERR_BAD_CONFIG, header.isEmpty()
                        ? "this request needs Authorization: Bearer <token>; the token is in the agent's"
                        + " pgsteward.agent.api-token-file, by default <agent.state-dir>/" + ApiToken.DEFAULT_FILE_NAME
                        : "wrong API token; it is in the agent's pgsteward.agent.api-token-file, by default"
                        + " <agent.state-dir>/" + ApiToken.DEFAULT_FILE_NAME)));
    }

    private Route api() {
        return concat(
                path("operations", () -> post(() -> commandRequest(this::submit))),
                path(segment("operations").slash(segment()),
                        id -> get(() -> parameterOptional("since", since -> operation(id, since)))),
                path("status", () -> get(() -> onSuccess(agent.status(), this::json))),
                path("cluster", () -> get(() -> bounded(agent::cluster))),
                path("check", () -> get(() -> bounded(agent::check))),
                path("events", () -> get(() -> parameterOptional("limit", limit -> {
                    int n = limit.map(HttpApi::parseLimit).orElse(100);
                    return bounded(() -> agent.events(n));
                }))));
    }

    /** An expensive answer, or 503 while {@link #MAX_EXPENSIVE_REQUESTS} are already being computed. */
    private <T> Route bounded(java.util.function.Supplier<CompletionStage<T>> work) {
        if (!expensive.tryAcquire()) {
            return error(StatusCodes.SERVICE_UNAVAILABLE, ExitCode.ERR_BUSY, "the agent is answering "
                    + MAX_EXPENSIVE_REQUESTS + " cluster-wide requests already; retry in a moment");
        }
        CompletionStage<T> result;
        try {
            result = work.get();
        } catch (RuntimeException e) {
            expensive.release();
            throw e;
        }
        return onSuccess(result.whenComplete((v, e) -> expensive.release()), this::json);
    }

    /**
     * The body of POST /api/v1/operations: JSON (415 otherwise), at most {@link #MAX_BODY_BYTES} (413), well-formed
     * (400) and without fields the request types do not have (400 naming them: a misspelt "force" must not be
     * dropped silently).
     */
    private Route commandRequest(java.util.function.Function<CommandRequest, Route> inner) {
        return extractRequestEntity(entity -> {
            if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                return error(StatusCodes.UNSUPPORTED_MEDIA_TYPE, ExitCode.ERR_BAD_CONFIG,
                        "the body must be application/json, got " + entity.getContentType());
            }
            if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > MAX_BODY_BYTES) {
                return tooLarge();
            }
            return withSizeLimit(MAX_BODY_BYTES, () -> entity(Unmarshaller.entityToString(), body -> {
                CommandRequest request;
                try {
                    request = Json.strictMapper().readValue(body, CommandRequest.class);
                } catch (UnrecognizedPropertyException e) {
                    return error(StatusCodes.BAD_REQUEST, ExitCode.ERR_BAD_CONFIG, "unknown field \"" + fieldPath(e)
                            + "\"; known fields there: " + e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                            .collect(java.util.stream.Collectors.joining(", ")));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return error(StatusCodes.BAD_REQUEST, ExitCode.ERR_BAD_CONFIG, "malformed request body: "
                            + e.getOriginalMessage());
                }
                if (request == null) {
                    return error(StatusCodes.BAD_REQUEST, ExitCode.ERR_BAD_CONFIG, "the body must be a JSON object");
                }
                return inner.apply(request);
            }));
        });
    }

    private static String fieldPath(UnrecognizedPropertyException e) {
        return e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                .collect(java.util.stream.Collectors.joining("."));
    }

    private Route tooLarge() {
        return error(StatusCodes.PAYLOAD_TOO_LARGE, ExitCode.ERR_BAD_CONFIG, "the request body is larger than "
                + MAX_BODY_BYTES + " bytes");
    }

    private Route submit(CommandRequest request) {
        if (request.command() == null || !org.pgsteward.protocol.api.Commands.ALL.contains(request.command())) {
            return error(StatusCodes.BAD_REQUEST, ExitCode.ERR_BAD_CONFIG, "unknown command \"" + request.command()
                    + "\"; commands: " + String.join(", ", org.pgsteward.protocol.api.Commands.ALL));
        }
        return onSuccess(agent.submit(request), result -> {
            if (result instanceof NodeAgent.Accepted a) {
                return complete(StatusCodes.ACCEPTED, a.view(), Jackson.marshaller(mapper));
            }
            var r = (NodeAgent.Rejected) result;
            StatusCode code = r.error().exitCode() == ExitCode.ERR_BUSY.code() ? StatusCodes.CONFLICT : StatusCodes.BAD_REQUEST;
            return complete(code, r.error(), Jackson.marshaller(mapper));
        });
    }

    private Route operation(String id, java.util.Optional<String> since) {
        return onSuccess(agent.operation(id, since.map(HttpApi::parseSince).orElse(0)), view -> view
                .map(this::json)
                .orElseGet(() -> error(StatusCodes.NOT_FOUND, ExitCode.ERR_BAD_CONFIG, "no operation " + id + " on this agent")));
    }

    private <T> Route json(T value) {
        return complete(StatusCodes.OK, value, Jackson.<T>marshaller(mapper));
    }

    private Route probeAnswer(java.util.function.Predicate<PgSnapshot> test, String what) {
        return onSuccess(agent.localState(), state -> {
            boolean ok = state.snapshot().map(test::test).orElse(false);
            String body = ok ? "OK: " + what + "\n"
                    : "NO: not a " + what + state.snapshot().map(s -> " (" + PgStates.describe(s) + ")").orElse(" (not probed yet)") + "\n";
            return complete(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
        });
    }

    /**
     * 200 when this node is a streaming standby and, with {@code ?lag=N}, its replay is at most N bytes behind the WAL
     * it has received: the lag the agent knows from its own probe ({@link PgSnapshot#applyLagBytes}); how far the
     * standby is behind its primary is not known locally. An unknown lag counts as too far behind.
     */
    private Route replicaAnswer(java.util.Optional<Long> maxLag) {
        if (maxLag.isEmpty()) {
            return probeAnswer(PgStates::streamingStandby, "streaming standby");
        }
        long max = maxLag.get();
        return onSuccess(agent.localState(), state -> {
            var s = state.snapshot();
            if (s.isEmpty() || !PgStates.streamingStandby(s.get())) {
                return complete(StatusCodes.SERVICE_UNAVAILABLE, "NO: not a streaming standby"
                        + s.map(x -> " (" + PgStates.describe(x) + ")").orElse(" (not probed yet)") + "\n");
            }
            var lag = s.get().applyLagBytes();
            if (lag.isEmpty() || lag.get() > max) {
                return complete(StatusCodes.SERVICE_UNAVAILABLE, "NO: streaming standby, replay lag "
                        + lag.map(l -> l + " bytes").orElse("unknown") + " (more than " + max + ")\n");
            }
            return complete(StatusCodes.OK, "OK: streaming standby, replay lag " + lag.get() + " bytes (at most " + max + ")\n");
        });
    }

    private static long parseLag(String s) {
        try {
            long n = Long.parseLong(s.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequest("lag must be a non-negative number of bytes, got \"" + s + "\"");
        }
    }

    private Route error(StatusCode status, ExitCode code, String message) {
        return complete(status, new ErrorView(code.code(), message), Jackson.marshaller(mapper));
    }

    private static int parseSince(String s) {
        try {
            return Math.max(0, Integer.parseInt(s));
        } catch (NumberFormatException e) {
            throw new BadRequest("since must be a non-negative integer, got \"" + s + "\"");
        }
    }

    private static int parseLimit(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n < 1 || n > 10_000) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequest("limit must be an integer from 1 to 10000, got \"" + s + "\"");
        }
    }

    private ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder()
                .match(BadRequest.class, e -> error(StatusCodes.BAD_REQUEST, ExitCode.ERR_BAD_CONFIG, e.getMessage()))
                .match(EntityStreamSizeException.class, e -> tooLarge())
                .match(RuntimeException.class, e -> error(StatusCodes.INTERNAL_SERVER_ERROR, ExitCode.ERR_OPERATION_FAILED,
                        e.getMessage() == null ? e.toString() : e.getMessage()))
                .build();
    }

    private RejectionHandler rejections() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
            if (response.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
                    && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                String text = strict.getData().utf8String();
                try {
                    String json = mapper.writeValueAsString(new ErrorView(ExitCode.ERR_BAD_CONFIG.code(), text));
                    return response.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return response;
                }
            }
            return response;
        });
    }

    /** A request parameter or body a user got wrong. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    /** What the health endpoints mean, in one place. */
    static final class PgStates {
        private PgStates() {}

        /** Running: it answers, even if it refuses our credentials. */
        static boolean running(PgSnapshot s) {
            return s.reachability() == Reachability.REACHABLE || s.reachability() == Reachability.AUTH_FAILED;
        }

        static boolean writablePrimary(PgSnapshot s) {
            return s.isReachable() && !s.inRecovery();
        }

        static boolean streamingStandby(PgSnapshot s) {
            return s.isReachable() && s.inRecovery() && s.isStreaming();
        }

        static String describe(PgSnapshot s) {
            if (!s.isReachable()) {
                return s.reachability().name().toLowerCase(java.util.Locale.ROOT) + s.error().map(e -> ": " + e).orElse("");
            }
            return s.inRecovery() ? (s.isStreaming() ? "streaming standby" : "standby, not streaming") : "primary";
        }
    }
}
