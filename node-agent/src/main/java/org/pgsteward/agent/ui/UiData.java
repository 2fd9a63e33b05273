package org.pgsteward.agent.ui;

/** What the web status page reads from this agent beside the console's cluster view and events. */
public interface UiData {

    UiStatus status();

    LagView lag();
}
