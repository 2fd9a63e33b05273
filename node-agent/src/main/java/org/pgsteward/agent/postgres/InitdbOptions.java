package org.pgsteward.agent.postgres;

/** Options for a new cluster; {@link #defaults()} suits a replication primary. */
public record InitdbOptions(String superuser, String encoding, String locale, String authLocal, String authHost,
                            boolean dataChecksums) {

    public static InitdbOptions defaults() {
        return new InitdbOptions("postgres", "UTF8", "C", "peer", "scram-sha-256", true);
    }

    public InitdbOptions withAuth(String local, String host) {
        return new InitdbOptions(superuser, encoding, locale, local, host, dataChecksums);
    }

    public InitdbOptions withDataChecksums(boolean on) {
        return new InitdbOptions(superuser, encoding, locale, authLocal, authHost, on);
    }
}
