package org.pgsteward.agent.metadata;

import java.util.List;

/**
 * Every SQL statement of the metadata package, in one place. Per-cluster statements are built for
 * one already-quoted schema identifier (see {@link ClusterMetadata}); values always go through
 * bind parameters.
 *
 * <p>time_lag of {@code repl_status}: {@code now()} minus the latest moment the standby is known to
 * have had all of the primary's WAL — the sample time when it had replayed up to the primary's
 * location, else the commit time of the last transaction it replayed. It therefore grows while no
 * replay happens and while no new samples arrive (the primary is gone, the agent is down), and is
 * about one monitor interval for a healthy standby, also on an idle primary. NULL when unknown.
 * Lags in bytes are clamped at 0 (the primary's and the standby's positions are sampled at slightly
 * different moments).
 */
final class MetadataSql {

    // ------------------------------------------------------------------ server settings (no schema)

    static final String SELECT_SETTINGS = "SELECT name, setting, unit FROM pg_catalog.pg_settings WHERE name = ANY (?)";
    static final String SELECT_IN_RECOVERY = "SELECT pg_catalog.pg_is_in_recovery()";

    private final String s;

    /** @param quotedSchema an identifier already validated and double-quoted */
    MetadataSql(String quotedSchema) {
        this.s = quotedSchema;
    }

    private String t(String template) {
        return template.replace("{s}", s);
    }

    // ------------------------------------------------------------------ DDL

    /** Serialises concurrent {@code ensureSchema} calls (CREATE ... IF NOT EXISTS races otherwise). */
    String schemaLock() {
        return "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(?))";
    }

    /** In order; each statement is idempotent. */
    List<String> createSchema() {
        return List.of(
                t("CREATE SCHEMA IF NOT EXISTS {s}"),
                t("""
                  CREATE TABLE IF NOT EXISTS {s}.nodes (
                    id               integer PRIMARY KEY,
                    name             text NOT NULL UNIQUE,
                    type             text NOT NULL CHECK (type IN ('primary', 'standby', 'witness')),
                    upstream_node_id integer NULL REFERENCES {s}.nodes (id) ON DELETE SET NULL,
                    conninfo         text NOT NULL,
                    priority         integer NOT NULL,
                    active           boolean NOT NULL DEFAULT true,
                    agent_http       text NULL,
                    registered_at    timestamptz NOT NULL DEFAULT now(),
                    updated_at       timestamptz NULL
                  )"""),
                // At most one active primary, whatever a caller does: the database enforces it.
                t("CREATE UNIQUE INDEX IF NOT EXISTS nodes_one_active_primary ON {s}.nodes ((true)) "
                        + "WHERE type = 'primary' AND active"),
                t("""
                  CREATE TABLE IF NOT EXISTS {s}.events (
                    id              bigserial PRIMARY KEY,
                    node_id         integer NOT NULL,
                    event           text NOT NULL,
                    successful      boolean NOT NULL,
                    event_timestamp timestamptz NOT NULL DEFAULT clock_timestamp(),
                    details         text NOT NULL DEFAULT ''
                  )"""),
                t("""
                  CREATE TABLE IF NOT EXISTS {s}.monitoring (
                    standby_node                     integer PRIMARY KEY REFERENCES {s}.nodes (id) ON DELETE CASCADE,
                    primary_node                     integer NOT NULL,
                    last_monitor_time                timestamptz NOT NULL,
                    last_wal_primary_location        pg_lsn NOT NULL,
                    last_wal_standby_location        pg_lsn NULL,
                    last_wal_standby_replay_location pg_lsn NOT NULL,
                    last_replay_timestamp            timestamptz NULL
                  )"""),
                // a second epoch, primary and pause flag, kept by a counter of its own: the cluster record held by a
                // majority of the agents and their votes are the only sources of truth (issue 7.1); a schema of an
                // earlier version loses its copy at the next primary register
                t("DROP TABLE IF EXISTS {s}.cluster_state"),
                t("""
                  CREATE OR REPLACE VIEW {s}.repl_status AS
                  SELECT m.primary_node,
                         m.standby_node,
                         m.last_monitor_time,
                         m.last_wal_primary_location,
                         m.last_wal_standby_location,
                         -- CASE, not just GREATEST: GREATEST(NULL, 0) is 0, and an unknown lag must stay NULL
                         CASE WHEN m.last_wal_standby_location IS NOT NULL
                              THEN GREATEST(pg_catalog.pg_wal_lsn_diff(m.last_wal_primary_location, m.last_wal_standby_location), 0)
                         END::bigint AS replication_lag,
                         CASE WHEN m.last_wal_standby_location IS NOT NULL
                              THEN GREATEST(pg_catalog.pg_wal_lsn_diff(m.last_wal_standby_location, m.last_wal_standby_replay_location), 0)
                         END::bigint AS apply_lag,
                         now() - CASE WHEN m.last_wal_standby_replay_location >= m.last_wal_primary_location
                                      THEN m.last_monitor_time
                                      ELSE m.last_replay_timestamp END
                           AS time_lag
                    FROM {s}.monitoring m
                    JOIN {s}.nodes n ON n.id = m.standby_node AND n.type = 'standby'"""));
    }

    // ------------------------------------------------------------------ nodes

    /** Registration and promotion take this lock: their check-then-write must not interleave. */
    String lockNodes() {
        return t("LOCK TABLE {s}.nodes IN SHARE ROW EXCLUSIVE MODE");
    }

    private static final String NODE_COLUMNS =
            "id, name, type, upstream_node_id, conninfo, priority, active, agent_http, registered_at, updated_at";

    String selectNodes() {
        return t("SELECT " + NODE_COLUMNS + " FROM {s}.nodes ORDER BY id");
    }

    String selectNode() {
        return t("SELECT " + NODE_COLUMNS + " FROM {s}.nodes WHERE id = ?");
    }

    String selectActivePrimary() {
        return t("SELECT " + NODE_COLUMNS + " FROM {s}.nodes WHERE type = 'primary' AND active");
    }

    /** Active primaries other than node ?. */
    String selectOtherActivePrimaries() {
        return t("SELECT " + NODE_COLUMNS + " FROM {s}.nodes WHERE type = 'primary' AND active AND id <> ? ORDER BY id");
    }

    /** The node other than ? that already uses name ?. */
    String selectNameOwner() {
        return t("SELECT id FROM {s}.nodes WHERE name = ? AND id <> ?");
    }

    /** (id, name, type, upstream, conninfo, priority, agent_http): insert, or overwrite node id and activate it. */
    String upsertNode() {
        return t("""
                 INSERT INTO {s}.nodes (id, name, type, upstream_node_id, conninfo, priority, active, agent_http)
                 VALUES (?, ?, ?, ?, ?, ?, true, ?)
                 ON CONFLICT (id) DO UPDATE
                    SET name = EXCLUDED.name, type = EXCLUDED.type, upstream_node_id = EXCLUDED.upstream_node_id,
                        conninfo = EXCLUDED.conninfo, priority = EXCLUDED.priority, active = true,
                        agent_http = EXCLUDED.agent_http, updated_at = now()""");
    }

    /** Keeps type 'primary' but deactivates every active primary except node ?. */
    String deactivateOtherPrimaries() {
        return t("UPDATE {s}.nodes SET active = false, updated_at = now() WHERE type = 'primary' AND active AND id <> ?");
    }

    /** Node ? (the old primary) becomes an inactive primary until it rejoins. */
    String markFormerPrimary() {
        return t("UPDATE {s}.nodes SET type = 'primary', active = false, upstream_node_id = NULL, updated_at = now() WHERE id = ?");
    }

    String activatePrimary() {
        return t("UPDATE {s}.nodes SET type = 'primary', active = true, upstream_node_id = NULL, updated_at = now() WHERE id = ?");
    }

    /** (upstream, id). */
    String setUpstream() {
        return t("UPDATE {s}.nodes SET upstream_node_id = ?, updated_at = now() WHERE id = ?");
    }

    // ------------------------------------------------------------------ events

    String insertEvent() {
        return t("INSERT INTO {s}.events (node_id, event, successful, details) VALUES (?, ?, ?, ?) RETURNING id");
    }

    /** Newest first: ids come from one sequence on the primary, so they order insertions even if clocks jump. */
    String selectEvents() {
        return t("SELECT id, node_id, event, successful, event_timestamp, details FROM {s}.events ORDER BY id DESC LIMIT ?");
    }

    // ------------------------------------------------------------------ monitoring

    /** (standby, primary, primary lsn, received lsn, replayed lsn, last replay timestamp); time is the server's. */
    String upsertMonitoring() {
        return t("""
                 INSERT INTO {s}.monitoring (standby_node, primary_node, last_monitor_time, last_wal_primary_location,
                                             last_wal_standby_location, last_wal_standby_replay_location, last_replay_timestamp)
                 VALUES (?, ?, clock_timestamp(), CAST(? AS pg_lsn), CAST(? AS pg_lsn), CAST(? AS pg_lsn), CAST(? AS timestamptz))
                 ON CONFLICT (standby_node) DO UPDATE
                    SET primary_node = EXCLUDED.primary_node, last_monitor_time = EXCLUDED.last_monitor_time,
                        last_wal_primary_location = EXCLUDED.last_wal_primary_location,
                        last_wal_standby_location = EXCLUDED.last_wal_standby_location,
                        last_wal_standby_replay_location = EXCLUDED.last_wal_standby_replay_location,
                        last_replay_timestamp = EXCLUDED.last_replay_timestamp""");
    }

    /** A node that became primary is no longer a standby: its old sample would mislead. */
    String deleteNode() {
        return t("DELETE FROM {s}.nodes WHERE id = ?");
    }

    String deleteMonitoring() {
        return t("DELETE FROM {s}.monitoring WHERE standby_node = ?");
    }
}
