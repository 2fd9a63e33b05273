package org.pgsteward.agent.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.pgsteward.agent.NodeAgent;
import org.pgsteward.agent.postgres.PgSnapshot;
import org.pgsteward.agent.postgres.Reachability;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.ErrorView;

/**
 * The agent's HTTP face: health endpoints for load balancers, Prometheus metrics, and the
 * JSON API the console uses. Only maps HTTP to {@link AgentFacade} calls.
 */
public final class HttpApi extends AllDirectives {

    private final AgentFacade agent;
    private final java.util.function.BooleanSupplier mayWrite;
    private final ObjectMapper mapper = Json.mapper();

    /** @param mayWrite whether the cluster lets this node write (primary of its epoch holding the lease) */
    public HttpApi(AgentFacade agent, java.util.function.BooleanSupplier mayWrite) {
        this.agent = agent;
        this.mayWrite = mayWrite;
    }

    public CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port) {
        return Http.get(system).newServerAt(host, port).bind(routes());
    }

    public Route routes() {
        return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> concat(
                path("health", () -> get(() -> probeAnswer(PgStates::running, "PostgreSQL running"))),
                path("primary", () -> get(() -> probeAnswer(s -> PgStates.writablePrimary(s) && mayWrite.getAsBoolean(),
                        "writable primary holding the lease"))),
                path("replica", () -> get(() -> probeAnswer(PgStates::streamingStandby, "streaming standby"))),
                path("metrics", () -> get(() -> complete(HttpEntities.create(
                        ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8"),
                        agent.metrics().getBytes(java.nio.charset.StandardCharsets.UTF_8))))),
                pathPrefix("api", () -> pathPrefix("v1", this::api)))));
    }

    private Route api() {
        return concat(
                path("operations", () -> post(() -> entity(Jackson.unmarshaller(mapper, CommandRequest.class),
                        this::submit))),
                path(segment("operations").slash(segment()),
                        id -> get(() -> parameterOptional("since", since -> operation(id, since)))),
                path("status", () -> get(() -> onSuccess(agent.status(), this::json))),
                path("cluster", () -> get(() -> onSuccess(agent.cluster(), this::json))),
                path("events", () -> get(() -> parameterOptional("limit", limit ->
                        onSuccess(agent.events(limit.map(HttpApi::parseLimit).orElse(100)), this::json)))));
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
