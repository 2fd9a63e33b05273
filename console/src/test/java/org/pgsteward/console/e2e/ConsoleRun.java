package org.pgsteward.console.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One run of the console as a separate process: its exit code and output. */
public record ConsoleRun(List<String> args, int exitCode, String stdout, String stderr) {

    /** Runs {@code pgsteward ARGS} and waits for it (at most 10 minutes). */
    public static ConsoleRun of(String... args) {
        List<String> argv = new ArrayList<>(AgentProcess.javaCommand());
        argv.add("org.pgsteward.console.Main");
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            var out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            var err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("console did not finish: " + List.of(args));
            }
            return new ConsoleRun(List.of(args), p.exitValue(), out.get(), err.get());
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** For assertion messages. */
    public String describe() {
        return "pgsteward " + String.join(" ", args) + " -> exit " + exitCode + "\n--- stdout ---\n" + stdout
                + "--- stderr ---\n" + stderr;
    }
}
