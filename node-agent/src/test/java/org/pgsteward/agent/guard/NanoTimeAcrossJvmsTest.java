package org.pgsteward.agent.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The guard compares the agent's System.nanoTime() deadline with its own clock: this holds only if both JVMs read the
 * same clock. On Linux HotSpot reads CLOCK_MONOTONIC (time since boot, shared by all processes on the host).
 */
class NanoTimeAcrossJvmsTest {

    /** Prints System.nanoTime() once. */
    public static final class PrintNanoTime {
        public static void main(String[] args) {
            System.out.println(System.nanoTime());
        }
    }

    @Test
    void givenSecondJvm_whenItReadsNanoTime_thenItLiesBetweenOurReadingsBeforeAndAfter() throws Exception {
        for (int i = 0; i < 3; i++) {
            long before = System.nanoTime();
            Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    PrintNanoTime.class.getName())).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            long after = System.nanoTime();
            assertEquals(0, p.exitValue(), out);
            long child = Long.parseLong(out);
            System.out.println("nanoTime: parent before " + before + ", child " + child + ", parent after " + after
                    + " (child - before = " + (child - before) / 1_000_000 + " ms, after - child = "
                    + (after - child) / 1_000_000 + " ms)");
            assertTrue(before < child && child < after, "the child's nanoTime lies between ours");
        }
    }
}
