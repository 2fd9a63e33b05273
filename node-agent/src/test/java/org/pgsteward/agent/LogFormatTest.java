package org.pgsteward.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pgsteward.agent.exec.CommandResult;
import org.pgsteward.agent.exec.CommandRunner;
import org.pgsteward.agent.exec.ExternalCommand;

class LogFormatTest {

    /** A JVM on this classpath; logback.configurationFile (set by LogFormat.apply, or here) beats logback-test.xml. */
    private static CommandResult java(Map<String, String> env, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
        argv.addAll(List.of(args));
        return new CommandRunner().execute(ExternalCommand.of(Duration.ofSeconds(60), argv).withEnv(env));
    }

    @Test
    void givenPgstewardLogFormatJson_whenTheAgentLogs_thenEachLineIsAJsonObjectWithLevelLoggerAndMessage() throws Exception {
        CommandResult r = java(Map.of("PGSTEWARD_LOG_FORMAT", "json"), LogFormatProbe.class.getName());
        assertEquals(0, r.exitCode(), r.stderrTail());
        List<String> lines = r.stderrTail().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), r.stderrTail());
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertEquals("INFO", line.get("level").asText());
        assertEquals(LogFormatProbe.class.getName(), line.get("loggerName").asText());
        assertEquals("probe: hello \"quoted\"", line.get("formattedMessage").asText(), lines.get(0));
        assertTrue(line.get("timestamp").asLong() > 0, lines.get(0));
    }

    @Test
    void givenNoFormat_whenTheAgentLogs_thenItIsTheTextLine() throws Exception {
        CommandResult r = java(Map.of(), "-Dlogback.configurationFile=logback.xml", LogFormatProbe.class.getName());
        assertEquals(0, r.exitCode(), r.stderrTail());
        assertTrue(r.stderrTail().strip().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  LogFormatProbe"
                + " - probe: hello \"quoted\""), r.stderrTail());
    }

    @Test
    void givenAnUnknownFormat_whenTheAgentStarts_thenItExits1NamingIt() throws Exception {
        CommandResult r = java(Map.of("PGSTEWARD_LOG_FORMAT", "xml"), Main.class.getName(), "-f", "/nonexistent.conf");
        assertEquals(1, r.exitCode(), r.stderrTail());
        assertTrue(r.stderrTail().contains("PGSTEWARD_LOG_FORMAT must be text or json, got \"xml\""), r.stderrTail());
    }

    @Test
    void thePropertyWinsOverTheEnvironment() {
        assertEquals(Optional.empty(), LogFormat.problem(Optional.of("json"), Optional.of("xml")));
        assertEquals(Optional.of("-Dpgsteward.log.format must be text or json, got \"JSON\""),
                LogFormat.problem(Optional.of("JSON"), Optional.of("json")));
        assertEquals(Optional.empty(), LogFormat.problem(Optional.empty(), Optional.empty()));
    }
}
