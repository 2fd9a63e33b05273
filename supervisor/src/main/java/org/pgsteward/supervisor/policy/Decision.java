package org.pgsteward.supervisor.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link FailoverPolicy#decide} concluded. Every decision carries a human reason (for the event log
 * and {@code cluster show}) and the value of {@code primaryLooksFailedSinceNanos} the caller must keep and
 * pass in next time.
 */
public sealed interface Decision {

    String reason();

    Optional<Long> primaryLooksFailedSinceNanos();

    /** The primary is fine. */
    record Healthy(String reason, Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public Healthy {
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** Nothing may be decided yet: state not heard from a majority, or no primary registered. */
    record NotReady(String reason, Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public NotReady {
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** Something looks wrong, but the evidence for a failover is not (yet) complete. */
    record WaitForEvidence(String reason, Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public WaitForEvidence {
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** A failover is due, but a lease granted earlier may still be held: act only once now > untilNanos. */
    record WaitForLease(long untilNanos, String reason, Optional<Long> primaryLooksFailedSinceNanos)
            implements Decision {
        public WaitForLease {
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** A failover would be needed, but the cluster is paused. */
    record Paused(String reason, Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public Paused {
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** Manual mode: a failover would be needed; the operator decides. */
    record ReportOnly(Optional<Integer> bestCandidateId, List<CandidateAssessment> assessments, String reason,
                      Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public ReportOnly {
            Objects.requireNonNull(bestCandidateId, "bestCandidateId");
            assessments = List.copyOf(assessments);
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** A failover is needed and nobody may be promoted; the assessments say why. */
    record NoCandidate(List<CandidateAssessment> assessments, String reason,
                       Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public NoCandidate {
            assessments = List.copyOf(assessments);
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    /** Promote {@code candidateId} in {@code newEpoch} (persist the epoch first). */
    record Promote(int candidateId, List<CandidateAssessment> assessments, long newEpoch, String reason,
                   Optional<Long> primaryLooksFailedSinceNanos) implements Decision {
        public Promote {
            assessments = List.copyOf(assessments);
            requireNonNull(reason, primaryLooksFailedSinceNanos);
        }
    }

    private static void requireNonNull(String reason, Optional<Long> since) {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "primaryLooksFailedSinceNanos");
    }
}
