package org.pgsteward.console;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.ErrorView;

/** The console's side of the agent's JSON API. */
final class AgentClient {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI base;
    private final HttpClient http;
    private final ObjectMapper mapper = Json.mapper();
    private final Optional<String> token;
    private final String tokenFile;

    /**
     * How the console reaches an agent whose {@code agent.tls} is set.
     *
     * @param context trusts only the cluster's CA (host names are verified as usual: make-certs puts the host's name and
     *                the loopback addresses in each certificate)
     * @param caFile  named in errors
     */
    record Https(SSLContext context, String caFile) {}

    private final Optional<Https> https;

    /**
     * @param address   the agent's {@code agent.http}; a wildcard address (0.0.0.0, ::) is reached at loopback
     * @param https     set: HTTPS only, trusting the cluster's CA; empty: plain HTTP
     * @param token     the agent's API token, as read from {@code tokenFile}; empty when it cannot be read (the agent
     *                  then answers 401, and the error names the file)
     */
    AgentClient(NodeConfig.HostPort address, Optional<Https> https, Optional<String> token, String tokenFile) {
        this.token = token;
        this.tokenFile = tokenFile;
        this.https = https;
        this.base = URI.create((https.isPresent() ? "https://" : "http://") + reachable(address));
        var builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1);
        https.ifPresent(h -> builder.sslContext(h.context()));
        this.http = builder.build();
    }

    /** The address to connect to: an agent listening on every address is reached on loopback. */
    static NodeConfig.HostPort reachable(NodeConfig.HostPort address) {
        return switch (address.host()) {
            case "0.0.0.0" -> new NodeConfig.HostPort("127.0.0.1", address.port());
            case "::", "0:0:0:0:0:0:0:0" -> new NodeConfig.HostPort("::1", address.port());
            default -> address;
        };
    }

    URI base() {
        return base;
    }

    <T> T get(String path, Class<T> type) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), body -> mapper.readValue(body, type));
    }

    <T> T get(String path, TypeReference<T> type) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), body -> mapper.readValue(body, type));
    }

    <T> T post(String path, Object payload, Class<T> type) {
        byte[] json;
        try {
            json = mapper.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "cannot encode request: " + e.getMessage());
        }
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)), body -> mapper.readValue(body, type));
    }

    private interface Decoder<T> {
        T decode(byte[] body) throws IOException;
    }

    private <T> T send(HttpRequest.Builder request, Decoder<T> decoder) {
        HttpResponse<byte[]> response;
        try {
            token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
            response = http.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw unreachable("connection refused");
        } catch (SSLException e) {
            throw unreachable("TLS handshake failed: " + rootMessage(e) + " (pgsteward.agent.tls.ca is "
                    + https.map(Https::caFile).orElse("not set") + ": it must be the CA that issued the agent's"
                    + " certificate, and the certificate must name the host of pgsteward.agent.http)");
        } catch (HttpTimeoutException e) {
            throw unreachable("no answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsoleException(ExitCode.ERR_AGENT_UNREACHABLE, "interrupted");
        }
        int status = response.statusCode();
        try {
            if (status >= 200 && status < 300) {
                return decoder.decode(response.body());
            }
            if (status == 401) {
                throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "the agent at " + base + " refused the API token: "
                        + (token.isEmpty() ? "cannot read " + tokenFile + " (run the console as the agent's user, or"
                        + " set pgsteward.agent.api-token-file to a file this user can read)" : "it is not the one in "
                        + tokenFile + " (does -f name this agent's configuration?)"));
            }
            ErrorView error = mapper.readValue(response.body(), ErrorView.class);
            throw new ConsoleException(ExitCode.of(error.exitCode()).orElse(ExitCode.ERR_OPERATION_FAILED), error.message());
        } catch (IOException e) {
            throw new ConsoleException(ExitCode.ERR_OPERATION_FAILED, "agent at " + base + " answered HTTP " + status
                    + " with a body the console cannot read: " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private ConsoleException unreachable(String why) {
        return new ConsoleException(ExitCode.ERR_AGENT_UNREACHABLE, "cannot reach the pgsteward agent at " + base + ": " + why
                + " (is `pgsteward-agent -f FILE` running for this node?)");
    }
}
