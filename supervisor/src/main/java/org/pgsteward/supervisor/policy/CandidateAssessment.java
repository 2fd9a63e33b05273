package org.pgsteward.supervisor.policy;

import java.util.Objects;
import java.util.Optional;
import org.pgsteward.protocol.Lsn;

/**
 * One node judged as a promotion candidate.
 *
 * @param receivedLsn how far it has WAL: max(received, replayed) from its latest report
 * @param why         for an eligible node its standing (lag); otherwise every reason it is not a candidate,
 *                    separated by "; "
 */
public record CandidateAssessment(int nodeId, String name, boolean eligible, Optional<Lsn> receivedLsn, int priority,
                                  String why) {

    public CandidateAssessment {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(receivedLsn, "receivedLsn");
        Objects.requireNonNull(why, "why");
    }

    @Override
    public String toString() {
        return name + " (node " + nodeId + "): " + (eligible ? "eligible, " : "not eligible: ") + why;
    }
}
