package org.pgsteward.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pgsteward.agent.postgres.FollowCheck.Verdict;
import org.pgsteward.agent.postgres.TimelineHistory.Entry;
import org.pgsteward.agent.postgres.TimelineHistory.Position;
import org.pgsteward.agent.testing.PgTestInstance;
import org.pgsteward.agent.testing.PostgresExtension;
import org.pgsteward.agent.testing.Standbys;
import org.pgsteward.protocol.Lsn;

class FollowCheckTest {

    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long SYSID = 7_000_000_000_000_000_001L;

    // ---------------------------------------------------------------- the rule, table-driven

    @ParameterizedTest(name = "local tl {0} at {1}, upstream tl {2} at {3} (standby: {4}), history ''{5}'' -> {6}")
    @CsvSource(delimiter = '|', value = {
            // same timeline: behind or equal follows; ahead of a primary has diverged, of a standby waits
            "1 | 0/5000000 | 1 | 0/6000000 | false | ''                      | CAN_FOLLOW",
            "1 | 0/6000000 | 1 | 0/6000000 | false | ''                      | CAN_FOLLOW",
            "1 | 0/6000001 | 1 | 0/6000000 | false | ''                      | DIVERGED",
            "1 | 0/6000001 | 1 | 0/6000000 | true  | ''                      | CAN_FOLLOW",
            // upstream promoted: at or before the fork follows, after it has diverged
            "1 | 0/400CF50 | 2 | 0/4100000 | false | 1 0/400CF50             | CAN_FOLLOW",
            "1 | 0/4000000 | 2 | 0/4100000 | false | 1 0/400CF50             | CAN_FOLLOW",
            "1 | 0/400D020 | 2 | 0/4100000 | false | 1 0/400CF50             | DIVERGED",
            // two promotions later; this node on the middle timeline
            "2 | 0/7000000 | 3 | 0/9000000 | false | 1 0/400CF50;2 0/8000000 | CAN_FOLLOW",
            "2 | 0/8000100 | 3 | 0/9000000 | false | 1 0/400CF50;2 0/8000000 | DIVERGED",
            // this node's timeline is not in the upstream's history (a sibling promotion)
            "2 | 0/5000000 | 3 | 0/9000000 | false | 1 0/400CF50             | DIVERGED",
            // this node on a later timeline than a primary; a lagging standby upstream may still switch
            "3 | 0/5000000 | 2 | 0/9000000 | false | ''                      | DIVERGED",
            "3 | 0/5000000 | 2 | 0/9000000 | true  | ''                      | CAN_FOLLOW",
    })
    void decide(long localTli, String localLsn, long targetTli, String targetLsn, boolean targetInRecovery,
                String history, Verdict expected) {
        List<Entry> entries = new ArrayList<>();
        for (String e : history.isBlank() ? new String[0] : history.split(";")) {
            String[] f = e.trim().split(" ");
            entries.add(new Entry(Long.parseLong(f[0]), Lsn.parse(f[1])));
        }
        FollowCheck c = FollowCheck.decide(new Position(SYSID, localTli, Lsn.parse(localLsn)),
                new Position(SYSID, targetTli, Lsn.parse(targetLsn)), targetInRecovery, entries);
        assertEquals(expected, c.verdict(), c.explanation());
        assertTrue(c.explanation().contains(localLsn), c.explanation());
    }

    @Test
    void givenAnotherCluster_whenDecided_thenOtherClusterNamingBothIdentifiers() {
        FollowCheck c = FollowCheck.decide(new Position(1, 1, Lsn.parse("0/1")), new Position(2, 1, Lsn.parse("0/2")),
                false, List.of());
        assertEquals(Verdict.OTHER_CLUSTER, c.verdict());
        assertTrue(c.explanation().contains("system identifier 2, this node 1"), c.explanation());
    }

    @Test
    void givenHistoryFileText_whenParsed_thenEntriesInOrderAndCommentsSkipped() throws SQLException {
        List<Entry> e = TimelineHistory.parse("1\t0/400CF50\tno recovery target specified\n\n"
                + "# a comment\n2\t0/8000000\tbefore 2000-01-01 00:00:00+00\n");
        assertEquals(List.of(new Entry(1, Lsn.parse("0/400CF50")), new Entry(2, Lsn.parse("0/8000000"))), e);
    }

    // ---------------------------------------------------------------- against real servers

    @Test
    void givenStandbyThatReceivedWalThePromotedSiblingNeverHad_whenAsked_thenDivergedNamingTheFork() {
        PgTestInstance a = pg.primary("fc-a");
        PgTestInstance b = pg.standbyOf(a, "fc-b");
        PgTestInstance c = pg.standbyOf(a, "fc-c");
        a.execute("CREATE TABLE t (id int)");
        a.execute("INSERT INTO t VALUES (1)");
        Standbys.await("b has the row", WAIT, List.of("1"), Standbys.rows(b, "SELECT count(*) FROM t"));
        // b stops receiving; c keeps receiving what a writes next
        b.execute("ALTER SYSTEM SET primary_conninfo = ''");
        b.execute("SELECT pg_reload_conf()");
        Standbys.await("b's WAL receiver is gone", WAIT, List.of("0"),
                Standbys.rows(b, "SELECT count(*) FROM pg_stat_wal_receiver"));
        a.execute("INSERT INTO t VALUES (2)");
        Standbys.await("c has the second row", WAIT, List.of("2"), Standbys.rows(c, "SELECT count(*) FROM t"));
        a.pgCtl().stop(StopMode.IMMEDIATE);
        b.pgCtl().promote();

        FollowCheck check = ask(c, b);

        assertEquals(Verdict.DIVERGED, check.verdict(), check.explanation());
        assertTrue(check.explanation().contains("timeline 2 forked off timeline 1 at"), check.explanation());
    }

    @Test
    void givenStandbyThatHasEverythingOfTheCleanlyStoppedPrimary_whenAskedAboutThePromotedSibling_thenCanFollow() {
        PgTestInstance a = pg.primary("fc-ok-a");
        PgTestInstance b = pg.standbyOf(a, "fc-ok-b");
        PgTestInstance c = pg.standbyOf(a, "fc-ok-c");
        a.execute("CREATE TABLE t (id int)");
        a.execute("INSERT INTO t VALUES (1)");
        a.pgCtl().stop(StopMode.FAST); // a clean stop sends everything, the shutdown checkpoint too, to both
        String lsn = b.queryOne("SELECT pg_last_wal_receive_lsn()::text");
        Standbys.await("c received " + lsn, WAIT, List.of("t"),
                Standbys.rows(c, "SELECT pg_last_wal_receive_lsn() >= '" + lsn + "'::pg_lsn"));
        b.pgCtl().promote();

        FollowCheck check = ask(c, b);

        assertEquals(Verdict.CAN_FOLLOW, check.verdict(), check.explanation());
        assertTrue(check.explanation().contains("timeline 2 forked off it at"), check.explanation());
    }

    /** What the check says of standby {@code standby} following primary {@code upstream}; fails if it cannot tell. */
    private static FollowCheck ask(PgTestInstance standby, PgTestInstance upstream) {
        var whyNot = new ArrayList<String>();
        return FollowCheck.ask(Conninfo.parse(standby.conninfo()), Conninfo.parse(upstream.conninfo()), false,
                whyNot::add).orElseThrow(() -> new AssertionError(whyNot));
    }

    @Test
    void givenNoReplicationAccess_whenAsked_thenEmptyWithTheReason() {
        PgTestInstance a = pg.primary("fc-na-a");
        var whyNot = new ArrayList<String>();
        Conninfo unreachable = Conninfo.parse("host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2");

        assertTrue(FollowCheck.ask(unreachable, Conninfo.parse(a.conninfo()), false, whyNot::add).isEmpty());
        assertEquals(1, whyNot.size());
        assertTrue(whyNot.get(0).contains("this node's position could not be read"), whyNot.get(0));
    }
}
