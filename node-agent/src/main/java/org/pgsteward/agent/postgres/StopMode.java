package org.pgsteward.agent.postgres;

/** pg_ctl's shutdown modes. */
public enum StopMode {
    /** waits for clients to disconnect */
    SMART("smart"),
    /** rolls back open transactions, checkpoints, exits */
    FAST("fast"),
    /** exits at once; crash recovery on next start */
    IMMEDIATE("immediate");

    private final String pgCtlName;

    StopMode(String pgCtlName) {
        this.pgCtlName = pgCtlName;
    }

    public String pgCtlName() {
        return pgCtlName;
    }
}
