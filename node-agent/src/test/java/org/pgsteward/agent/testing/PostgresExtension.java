package org.pgsteward.agent.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Owns the PostgreSQL servers a test class starts: those made inside a test are closed
 * after it, those made in {@code @BeforeAll} after the class; when a test fails, each
 * server's log tail is attached to the failure (and printed), so the report shows why.
 *
 * <pre>
 * {@literal @}RegisterExtension static final PostgresExtension pg = new PostgresExtension();
 * ... PgTestInstance primary = pg.primary("node1");
 * </pre>
 */
public final class PostgresExtension implements BeforeEachCallback, AfterEachCallback, AfterAllCallback, TestExecutionExceptionHandler {

    private final List<PgTestInstance> classScoped = new ArrayList<>();
    private final List<PgTestInstance> testScoped = new ArrayList<>();
    private volatile boolean inTest;

    public PgTestInstance primary(String name) {
        return track(PgTestInstance.primary(name));
    }

    /** See {@link PgTestInstance#primary(String, boolean, boolean)}. */
    public PgTestInstance primary(String name, boolean dataChecksums, boolean walLogHints) {
        return track(PgTestInstance.primary(name, dataChecksums, walLogHints));
    }

    /** A started streaming standby of {@code primary}; see {@link PgTestInstance#standbyOf}. */
    public PgTestInstance standbyOf(PgTestInstance primary, String name) {
        return track(PgTestInstance.standbyOf(primary, name));
    }

    public PgTestInstance empty(String name) {
        return track(PgTestInstance.empty(name));
    }

    /** Makes this extension responsible for closing {@code pg}. */
    public synchronized PgTestInstance track(PgTestInstance pg) {
        (inTest ? testScoped : classScoped).add(pg);
        return pg;
    }

    /** Every server this extension tracks right now. */
    public synchronized List<PgTestInstance> all() {
        var all = new ArrayList<>(classScoped);
        all.addAll(testScoped);
        return all;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        inTest = true;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        for (PgTestInstance pg : all()) {
            String tail = pg.serverLogTail();
            String text = "server log of " + pg + " (tail):\n" + tail;
            System.err.println("[pgsteward-test] " + text);
            throwable.addSuppressed(new ServerLog(text));
        }
        throw throwable;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<PgTestInstance> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(testScoped);
            testScoped.clear();
            inTest = false;
        }
        closeAll(toClose);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<PgTestInstance> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(classScoped);
            classScoped.clear();
            inTest = false;
        }
        closeAll(toClose);
    }

    private static void closeAll(List<PgTestInstance> list) {
        for (int i = list.size() - 1; i >= 0; i--) {
            list.get(i).close();
        }
    }

    /** Carries a server log into a failing test's report. */
    static final class ServerLog extends RuntimeException {
        ServerLog(String text) {
            super(text, null, false, false);
        }
    }
}
