package org.pgsteward.console;

import java.io.PrintWriter;
import java.time.Duration;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.CommandRequest;
import org.pgsteward.protocol.api.OperationView;

/** Submits a command to the agent, prints its progress as it comes, returns its exit code. */
final class OperationPrinter {

    private static final Duration POLL = Duration.ofMillis(200);

    private OperationPrinter() {}

    static int run(AgentClient agent, CommandRequest request, PrintWriter out, PrintWriter err) {
        OperationView view = agent.post("/api/v1/operations", request, OperationView.class);
        String path = "/api/v1/operations/" + view.id() + "?since=";
        int seen = 0;
        while (true) {
            for (String line : view.progress()) {
                out.println("  " + line);
            }
            seen = view.progressFrom() + view.progress().size();
            if (view.finished()) {
                break;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("pgsteward: interrupted; the agent goes on with " + request.command() + " (operation " + view.id() + ")");
                return ExitCode.ERR_OPERATION_FAILED.code();
            }
            view = agent.get(path + seen, OperationView.class);
        }
        if (view.state() == OperationView.State.SUCCEEDED) {
            out.println(view.message());
        } else {
            String name = ExitCode.of(view.exitCode()).map(Enum::name).orElse("exit " + view.exitCode());
            err.println("pgsteward: " + request.command() + " failed (" + name + "): " + view.message());
        }
        out.flush();
        err.flush();
        return view.exitCode();
    }
}
