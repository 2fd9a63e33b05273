package org.pgsteward.agent.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pgsteward.agent.config.BadConfigException;
import org.pgsteward.agent.config.NodeConfig;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;

/** agent.tls files as scripts/make-certs makes them, and the ways they can be wrong. */
class TlsFilesTest {

    @TempDir
    static Path dir;
    private static Path certs;
    private static Path other;
    private static final Path CONFIG = Path.of("/etc/pgsteward/node1.conf");

    @BeforeAll
    static void makeCertificates() {
        certs = makeCerts(dir.resolve("certs"), "node1", "10.0.0.2");
        other = makeCerts(dir.resolve("other"), "node1");
    }

    @Test
    void givenMakeCertsOutput_whenLoaded_thenAcceptedWithTheSharedSubjectName() throws Exception {
        TlsFiles tls = TlsFiles.load(CONFIG, files(certs, "node1"));
        assertEquals(List.of("pgsteward", "node1", "localhost"), tls.subjectNames());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve("node1.key"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve("ca.key"))));
        String ipCert = run(List.of("openssl", "x509", "-in", certs.resolve("10.0.0.2.crt").toString(), "-noout", "-ext",
                "subjectAltName"));
        assertTrue(ipCert.contains("IP Address:10.0.0.2") && ipCert.contains("IP Address:127.0.0.1"), ipCert);
    }

    @Test
    void givenServerAndClientContexts_whenTheConsoleConnectsOnLoopback_thenTheHandshakeVerifiesCaAndHostName()
            throws Exception {
        TlsFiles tls = TlsFiles.load(CONFIG, files(certs, "node1"));
        assertEquals("ok", handshake(tls, PemCertificates.trusting(CONFIG, certs.resolve("ca.crt")), "127.0.0.1"));
        assertTrue(handshake(tls, PemCertificates.trusting(CONFIG, other.resolve("ca.crt")), "127.0.0.1").contains("PKIX"),
                "another cluster's CA does not trust this agent");
    }

    @Test
    void givenACertificateOfAnotherCa_whenLoaded_thenTheCertificateKeyIsNamed() {
        var t = new NodeConfig.Tls(other.resolve("node1.crt"), other.resolve("node1.key"), certs.resolve("ca.crt"));
        BadConfigException e = assertThrows(BadConfigException.class, () -> TlsFiles.load(CONFIG, t));
        assertEquals(Optional.of("pgsteward.agent.tls.certificate"), e.key());
        assertTrue(e.getMessage().contains("was not issued by the CA in"), e.getMessage());
    }

    @Test
    void givenTheKeyOfAnotherCertificate_whenLoaded_thenThePrivateKeyIsNamed() {
        var t = new NodeConfig.Tls(certs.resolve("node1.crt"), certs.resolve("10.0.0.2.key"), certs.resolve("ca.crt"));
        BadConfigException e = assertThrows(BadConfigException.class, () -> TlsFiles.load(CONFIG, t));
        assertEquals(Optional.of("pgsteward.agent.tls.private-key"), e.key());
        assertTrue(e.getMessage().contains("is not the key of"), e.getMessage());
    }

    @Test
    void givenAnEcOrEncryptedKey_whenLoaded_thenRefusedSayingWhatPekkoReads() throws Exception {
        Path ec = dir.resolve("ec.key");
        run(List.of("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ec.toString()));
        Path encrypted = dir.resolve("enc.key");
        run(List.of("openssl", "pkey", "-in", certs.resolve("node1.key").toString(), "-aes256", "-passout", "pass:x",
                "-out", encrypted.toString()));
        for (Path key : List.of(ec, encrypted)) {
            var t = new NodeConfig.Tls(certs.resolve("node1.crt"), key, certs.resolve("ca.crt"));
            BadConfigException e = assertThrows(BadConfigException.class, () -> TlsFiles.load(CONFIG, t));
            assertEquals(Optional.of("pgsteward.agent.tls.private-key"), e.key());
            assertTrue(e.getMessage().contains("must be an unencrypted RSA key in PEM"), e.getMessage());
        }
    }

    @Test
    void givenAHostCertificateAsCa_orNoPem_whenLoaded_thenTheCaKeyIsNamed() throws Exception {
        var notCa = new NodeConfig.Tls(certs.resolve("node1.crt"), certs.resolve("node1.key"), certs.resolve("node1.crt"));
        BadConfigException e = assertThrows(BadConfigException.class, () -> TlsFiles.load(CONFIG, notCa));
        assertEquals(Optional.of("pgsteward.agent.tls.ca"), e.key());
        assertTrue(e.getMessage().contains("is not a CA certificate"), e.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage.crt"), "not a certificate\n");
        var bad = new NodeConfig.Tls(certs.resolve("node1.crt"), certs.resolve("node1.key"), garbage);
        e = assertThrows(BadConfigException.class, () -> TlsFiles.load(CONFIG, bad));
        assertTrue(e.getMessage().startsWith(CONFIG + ": pgsteward.agent.tls.ca: " + garbage + " is not a PEM certificate"),
                e.getMessage());
    }

    private static NodeConfig.Tls files(Path d, String name) {
        return new NodeConfig.Tls(d.resolve(name + ".crt"), d.resolve(name + ".key"), d.resolve("ca.crt"));
    }

    /** One TLS connection from a client (HTTPS host name verification on) to a server of {@code tls}: "ok" or why not. */
    private static String handshake(TlsFiles tls, javax.net.ssl.SSLContext client, String host) throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) tls.serverContext().getServerSocketFactory()
                .createServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept(); OutputStream out = s.getOutputStream()) {
                    out.write('!');
                } catch (java.io.IOException e) {
                    // the client refused us
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(host, server.getLocalPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                return in.read() == '!' ? "ok" : "no data";
            } catch (java.io.IOException e) {
                return String.valueOf(e.getMessage());
            } finally {
                accepted.get(10, TimeUnit.SECONDS);
            }
        }
    }

    static Path makeCerts(Path d, String... names) {
        List<String> argv = new ArrayList<>(List.of(script().toString(), d.toString()));
        argv.addAll(List.of(names));
        run(argv);
        return d;
    }

    private static String run(List<String> argv) {
        return new CommandRunner().run(ExternalCommand.of(Duration.ofSeconds(60), argv)).stdout();
    }

    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts").resolve("make-certs");
            if (Files.isExecutable(s)) {
                return s;
            }
        }
        throw new IllegalStateException("scripts/make-certs not found");
    }
}
