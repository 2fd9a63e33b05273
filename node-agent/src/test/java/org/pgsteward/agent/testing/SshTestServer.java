package org.pgsteward.agent.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A private sshd for rsync-over-ssh tests: its own config, throwaway host key and client key
 * pair, a free loopback port; the PostgreSQL OS user can log in with {@link #sshOptions()}.
 * {@link #close()} kills sshd and its session processes and removes its directory.
 *
 * <p>Needs root (sshd must switch to the user it logs in); otherwise the test is skipped.
 */
public final class SshTestServer implements AutoCloseable {

    private static final Path SSHD = Path.of("/usr/sbin/sshd");
    /** sshd's privilege separation directory; it refuses to start without it. */
    private static final Path PRIVSEP_DIR = Path.of("/run/sshd");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final int port;
    private final Path clientKey;
    private final Path unauthorizedKey;
    private final Path log;
    private final Process sshd;

    private SshTestServer(Path dir, int port, Path clientKey, Path unauthorizedKey, Path log, Process sshd) {
        this.dir = dir;
        this.port = port;
        this.clientKey = clientKey;
        this.unauthorizedKey = unauthorizedKey;
        this.log = log;
        this.sshd = sshd;
    }

    /** Starts sshd and waits until it accepts connections; skips the test when that cannot work here. */
    public static SshTestServer start() throws IOException, InterruptedException {
        Assumptions.assumeTrue(PgTestEnvironment.runner().isRoot(),
                "sshd must run as root to log in as the PostgreSQL OS user; not root here");
        Assumptions.assumeTrue(Files.isExecutable(SSHD), SSHD + " is not installed");
        Files.createDirectories(PRIVSEP_DIR);

        Path dir = Files.createTempDirectory("pgsteward-sshd-");
        // traversable by the OS user: sshd reads authorized_keys as the user who logs in
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path hostKey = dir.resolve("ssh_host_ed25519_key");
        keygen(hostKey);
        Path clientDir = Files.createDirectory(dir.resolve("client"));
        Path clientKey = clientDir.resolve("id_ed25519");
        Path unauthorizedKey = clientDir.resolve("id_unauthorized");
        keygen(clientKey);
        keygen(unauthorizedKey);
        // ssh (run as the OS user) refuses keys others can read, and must be able to read them itself
        for (Path p : List.of(clientDir, clientKey, unauthorizedKey)) {
            PgTestEnvironment.handOver(p);
        }
        Files.setPosixFilePermissions(clientDir, PosixFilePermissions.fromString("rwx------"));
        Path authorizedKeys = dir.resolve("authorized_keys");
        Files.copy(clientKey.resolveSibling(clientKey.getFileName() + ".pub"), authorizedKeys);
        Files.setPosixFilePermissions(authorizedKeys, PosixFilePermissions.fromString("rw-r--r--"));

        int port = TestPorts.freePort();
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKey,
                "AuthorizedKeysFile " + authorizedKeys,
                "PidFile " + dir.resolve("sshd.pid"),
                "StrictModes no",
                // The brief says UsePAM no, but then sshd refuses accounts whose password is locked
                // ('!' in /etc/shadow, as for Debian's postgres user). With PAM the key still decides:
                // password and keyboard-interactive logins are off.
                "UsePAM yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin no",
                "LogLevel VERBOSE",
                ""));
        Path log = dir.resolve("sshd.log");
        Process sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        var server = new SshTestServer(dir, port, clientKey, unauthorizedKey, log, sshd);
        try {
            server.awaitListening();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitListening() throws InterruptedException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (true) {
            if (!sshd.isAlive()) {
                throw new IllegalStateException("sshd exited with " + sshd.exitValue() + ":\n" + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("sshd not listening on " + port + " after " + START_TIMEOUT
                            + ":\n" + log());
                }
                // a poll, bounded by the deadline: sshd usually listens within milliseconds
                sshd.waitFor(50, TimeUnit.MILLISECONDS);
            }
        }
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pgsteward-test",
                "-f", key.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("ssh-keygen failed for " + key + ": " + out);
        }
    }

    public int port() {
        return port;
    }

    /** The client key: private, mode 0600, owned by the PostgreSQL OS user. */
    public Path clientKey() {
        return clientKey;
    }

    /** ssh options that log in to this server as any user whose login is allowed. */
    public List<String> sshOptions() {
        return optionsWith(port, clientKey);
    }

    /** Like {@link #sshOptions()} but with a valid key this server does not accept. */
    public List<String> sshOptionsWithUnauthorizedKey() {
        return optionsWith(port, unauthorizedKey);
    }

    /** Like {@link #sshOptions()} but for another port (to test a server that is not there). */
    public List<String> sshOptionsWithPort(int otherPort) {
        return optionsWith(otherPort, clientKey);
    }

    private static List<String> optionsWith(int port, Path key) {
        return List.of("-p", Integer.toString(port), "-i", key.toString(),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR");
    }

    /** sshd's own log (stderr with -e), for failure messages. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no sshd log: " + e + ")";
        }
    }

    @Override
    public void close() {
        // session processes are children of the listener: kill them first so none is left behind
        List<ProcessHandle> children = sshd.descendants().toList();
        children.forEach(ProcessHandle::destroyForcibly);
        sshd.destroyForcibly();
        try {
            sshd.onExit().get(10, TimeUnit.SECONDS);
            for (ProcessHandle c : children) {
                c.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("[pgsteward-test] sshd " + sshd.pid() + " did not exit: " + e);
        }
        PgTestInstance.deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "sshd@127.0.0.1:" + port;
    }
}
