package org.pgsteward.protocol.api;

import java.time.Instant;
import java.util.Optional;

/**
 * One node as {@code cluster show} and {@code node status} present it.
 *
 * @param role      primary, standby, witness, or unknown
 * @param status    running, unreachable, stopped, auth-failed, ...
 * @param upstream  the name of the node it streams from (standby)
 * @param lagBytes  how far it is behind the primary's WAL position, when known
 * @param location  its WAL position (current LSN on the primary, replayed/received on a standby)
 */
public record NodeRow(
        int id,
        String name,
        String role,
        String status,
        Optional<String> upstream,
        Optional<Long> lagBytes,
        Optional<String> location,
        int priority,
        Optional<Long> timeline,
        Optional<Instant> lastSeen,
        String conninfo) {}
