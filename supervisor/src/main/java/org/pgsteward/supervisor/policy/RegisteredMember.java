package org.pgsteward.supervisor.policy;

import java.util.Objects;

/**
 * A node as registered with the supervisor (its persisted view, not what the agent last said).
 *
 * @param priority   0 = never promoted automatically
 * @param noFailover tagged by the operator: never promote automatically
 */
public record RegisteredMember(int id, String name, int priority, boolean witness, boolean noFailover) {

    public RegisteredMember {
        Objects.requireNonNull(name, "name");
    }
}
