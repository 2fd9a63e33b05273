package org.pgsteward.agent.metadata;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.pgsteward.agent.postgres.Conninfo;

/**
 * What a node registers about itself. The conninfo is stored without {@code password} and
 * {@code sslpassword}: the metadata is readable by every node and replicated everywhere.
 *
 * @param type      {@link #PRIMARY}, {@link #STANDBY} or {@link #WITNESS}; must match the register
 *                  method used
 * @param priority  0 = never promoted automatically
 * @param agentHttp the node agent's admin API (host:port), when it has one
 */
public record NodeRegistration(int id, String name, String type, Conninfo conninfo, int priority, Optional<String> agentHttp) {

    public static final String PRIMARY = "primary";
    public static final String STANDBY = "standby";
    public static final String WITNESS = "witness";
    public static final Set<String> TYPES = Set.of(PRIMARY, STANDBY, WITNESS);

    public NodeRegistration {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(conninfo, "conninfo");
        Objects.requireNonNull(agentHttp, "agentHttp");
        if (name.isBlank()) {
            throw new IllegalArgumentException("node name must not be empty");
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("node type must be one of primary, standby, witness, got \"" + type + "\"");
        }
        if (priority < 0) {
            throw new IllegalArgumentException("priority must be >= 0, got " + priority);
        }
    }

    public static NodeRegistration primary(int id, String name, Conninfo conninfo, int priority, Optional<String> agentHttp) {
        return new NodeRegistration(id, name, PRIMARY, conninfo, priority, agentHttp);
    }

    public static NodeRegistration standby(int id, String name, Conninfo conninfo, int priority, Optional<String> agentHttp) {
        return new NodeRegistration(id, name, STANDBY, conninfo, priority, agentHttp);
    }

    public static NodeRegistration witness(int id, String name, Conninfo conninfo, Optional<String> agentHttp) {
        return new NodeRegistration(id, name, WITNESS, conninfo, 0, agentHttp);
    }

    /** The conninfo as stored: without secrets. */
    public Conninfo storedConninfo() {
        return conninfo.without("password").without("sslpassword");
    }
}
