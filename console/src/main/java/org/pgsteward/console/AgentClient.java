package org.pgsteward.console;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.Json;
import org.pgsteward.protocol.api.ErrorView;

/**
 * The console's side of the agent's JSON API, over {@link HttpURLConnection}: unlike {@code java.net.http}, plain HTTP
 * then costs no TLS setup (the default SSLContext reads the JDK's CA store) and no client threads, which is most of
 * a short command's start (scripts/bench-console).
 */
final class AgentClient {

    static {
        // a POST is never sent twice: the JDK would silently resend it once on a kept-alive connection the agent closed
        System.setProperty("sun.net.http.retryPost", "false");
    }

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI base;
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
        return send("GET", path, null, body -> mapper.readValue(body, type));
    }

    <T> T get(String path, TypeReference<T> type) {
        return send("GET", path, null, body -> mapper.readValue(body, type));
    }

    <T> T post(String path, Object payload, Class<T> type) {
        byte[] json;
        try {
            json = mapper.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new ConsoleException(ExitCode.ERR_BAD_CONFIG, "cannot encode request: " + e.getMessage());
        }
        return send("POST", path, json, body -> mapper.readValue(body, type));
    }

    private interface Decoder<T> {
        T decode(byte[] body) throws IOException;
    }

    /** A status and a body: what the agent answered. */
    private record Response(int status, byte[] body) {}

    private <T> T send(String method, String path, byte[] json, Decoder<T> decoder) {
        Response response;
        try {
            response = exchange(method, path, json);
        } catch (ConnectException e) {
            throw unreachable("connection refused");
        } catch (SSLException e) {
            throw unreachable("TLS handshake failed: " + rootMessage(e) + " (pgsteward.agent.tls.ca is "
                    + https.map(Https::caFile).orElse("not set") + ": it must be the CA that issued the agent's"
                    + " certificate, and the certificate must name the host of pgsteward.agent.http)");
        } catch (SocketTimeoutException e) {
            throw unreachable("no answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        int status = response.status();
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

    /** One request; no proxy, HTTP/1.1, host names verified on HTTPS (the JDK's default verifier). */
    private Response exchange(String method, String path, byte[] json) throws IOException {
        var connection = (HttpURLConnection) base.resolve(path).toURL().openConnection(Proxy.NO_PROXY);
        if (connection instanceof HttpsURLConnection tls) {
            tls.setSSLSocketFactory(https.orElseThrow().context().getSocketFactory());
        }
        try {
            connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            connection.setReadTimeout((int) REQUEST_TIMEOUT.toMillis());
            connection.setRequestMethod(method);
            connection.setRequestProperty("Accept", "*/*");
            token.ifPresent(t -> connection.setRequestProperty("Authorization", "Bearer " + t));
            if (json != null) {
                connection.setRequestProperty("Content-Type", "application/json");
                connection.setDoOutput(true);
                connection.setFixedLengthStreamingMode(json.length);
                try (OutputStream body = connection.getOutputStream()) {
                    body.write(json);
                }
            }
            int status = connection.getResponseCode();
            InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            if (body == null) {
                return new Response(status, new byte[0]);
            }
            try (body) {
                return new Response(status, body.readAllBytes());
            }
        } catch (IOException e) {
            connection.disconnect();
            throw e;
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
