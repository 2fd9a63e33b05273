package org.pgsteward.console.e2e;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.pgsteward.agent.testing.PgTestEnvironment;

/**
 * A test's {@link NetworkLab}: made on demand (the test is skipped where network namespaces cannot be made, or not as
 * root), closed after the test. Register it first ({@code @Order(1)}): after-each callbacks run in reverse order, so
 * the agents and servers stop before their network goes.
 */
final class NetworkLabExtension implements AfterEachCallback {

    private NetworkLab lab;

    /** The lab for this test; skips the test where it cannot run. */
    NetworkLab create() {
        Optional<String> why = NetworkLab.unavailable();
        Assumptions.assumeTrue(why.isEmpty() && PgTestEnvironment.osUser().isPresent(), () -> why.orElse("not root"));
        lab = NetworkLab.create();
        return lab;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (lab != null) {
            lab.close();
            lab = null;
        }
    }
}
