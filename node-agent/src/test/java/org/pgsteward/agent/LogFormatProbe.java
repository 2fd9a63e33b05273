package org.pgsteward.agent;

/** For LogFormatTest: a JVM that logs one line through the agent's logback.xml. */
public final class LogFormatProbe {

    private LogFormatProbe() {}

    public static void main(String[] args) {
        LogFormat.apply(); // as Main does
        org.slf4j.LoggerFactory.getLogger(LogFormatProbe.class).info("probe: {}", "hello \"quoted\"");
    }
}
