package org.pgsteward.agent.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback TCP ports, never the same one twice in this JVM. */
public final class TestPorts {

    private static final Set<Integer> handedOut = new HashSet<>();

    private TestPorts() {}

    public static synchronized int freePort() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = s.getLocalPort();
                if (handedOut.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot bind a loopback port", e);
            }
        }
        throw new IllegalStateException("no free port after 50 attempts");
    }
}
