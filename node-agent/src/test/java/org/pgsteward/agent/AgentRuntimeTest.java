package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AgentRuntimeTest {

    @Test
    void givenJournalUrlWithPassword_whenShownInAWarning_thenThePasswordIsHidden() {
        assertEquals("jdbc:postgresql://j:5432/pgsteward?user=p&password=***&ssl=true",
                AgentRuntime.redacted("jdbc:postgresql://j:5432/pgsteward?user=p&password=s3cret&ssl=true"));
        assertEquals("jdbc:h2:file:/var/lib/x;USER=sa;PASSWORD=***;WRITE_DELAY=0",
                AgentRuntime.redacted("jdbc:h2:file:/var/lib/x;USER=sa;PASSWORD=pw;WRITE_DELAY=0"));
        assertEquals("jdbc:h2:file:/var/lib/x;WRITE_DELAY=0", AgentRuntime.redacted("jdbc:h2:file:/var/lib/x;WRITE_DELAY=0"));
    }
}
