package org.pgsteward.supervisor;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.pgsteward.protocol.cluster.AgentCommand;
import org.pgsteward.protocol.cluster.LeaseMessage;
import org.pgsteward.protocol.cluster.NodeReport;
import org.pgsteward.supervisor.policy.ObservedReport;

/**
 * What this supervisor incarnation hears of the agents: their latest reports (with when they arrived), their command
 * and lease refs, and from the cluster membership who is reachable and how many members a majority needs. Not
 * persisted: a new incarnation hears it all again.
 */
final class Observations {

    private final ActorSystem<?> system;
    private final SupervisorSettings settings;
    private final Map<Integer, ObservedReport> reports = new HashMap<>();
    private final Map<Integer, ActorRef<AgentCommand>> agents = new HashMap<>();
    private final Map<Integer, ActorRef<LeaseMessage>> leaseRefs = new HashMap<>();

    Observations(ActorSystem<?> system, SupervisorSettings settings) {
        this.system = system;
        this.settings = settings;
    }

    void heard(NodeReport report, ActorRef<AgentCommand> agent, ActorRef<LeaseMessage> lease, long nowNanos) {
        reports.put(report.nodeId(), new ObservedReport(report, nowNanos));
        agents.put(report.nodeId(), agent);
        leaseRefs.put(report.nodeId(), lease);
    }

    /** The latest report of each agent heard by this incarnation, fresh or not. */
    Map<Integer, ObservedReport> reports() {
        return reports;
    }

    Map<Integer, ActorRef<AgentCommand>> agents() {
        return agents;
    }

    Map<Integer, ActorRef<LeaseMessage>> leaseRefs() {
        return leaseRefs;
    }

    Stream<ObservedReport> freshReports() {
        long now = System.nanoTime();
        long stale = settings.policy().reportStaleAfter().toNanos();
        return reports.values().stream().filter(o -> now - o.receivedAtNanos() <= stale);
    }

    /** The node's report if it is fresh. */
    Optional<NodeReport> freshReport(int nodeId) {
        return Optional.ofNullable(reports.get(nodeId))
                .filter(o -> System.nanoTime() - o.receivedAtNanos() <= settings.policy().reportStaleAfter().toNanos())
                .map(ObservedReport::report);
    }

    /** Members that are neither removed nor down, and never fewer than the configured seed nodes. */
    int clusterSize() {
        int n = 0;
        for (var m : Cluster.get(system).state().getMembers()) {
            if (m.status() != MemberStatus.removed() && m.status() != MemberStatus.down()) {
                n++;
            }
        }
        return Math.max(Math.max(n, 1), Math.max(settings.expectedMembers(), 0));
    }

    int majority() {
        return clusterSize() / 2 + 1;
    }

    /** Fresh reports from a majority of the cluster's members: without them this incarnation decides nothing. */
    Optional<String> withoutMajority() {
        long fresh = freshReports().count();
        int members = clusterSize();
        return fresh * 2 > members ? Optional.empty() : Optional.of("not deciding: fresh reports from " + fresh + " of "
                + members + " agents (a supervisor acts only while it hears a majority)");
    }

    /**
     * Whether the agent at {@code address} is a reachable cluster member now: some incarnation of it (a restarted agent
     * joins at the same address with a new uid, while its old incarnation may still be listed as unreachable until it
     * is downed) is joining or up and unreachable to nobody. Read from the membership at decision time, not kept from
     * events keyed by address, which mixed the incarnations (seen: every agent SIGKILLed and started again, the
     * primary's old incarnation downed after its new one joined, and the primary failed over as "agent unreachable").
     */
    boolean agentReachable(Address address) {
        if (address.hasLocalScope()) {
            return true; // this supervisor's own agent
        }
        var state = Cluster.get(system).state();
        Set<Member> unreachableMembers = state.getUnreachable();
        for (Member m : state.getMembers()) {
            var st = m.status();
            if (m.address().equals(address) && !unreachableMembers.contains(m)
                    && (st == MemberStatus.up() || st == MemberStatus.joining() || st == MemberStatus.weaklyUp())) {
                return true;
            }
        }
        return false;
    }

    /** Whether node {@code id}'s agent is a reachable member (unknown agents are not). */
    boolean agentReachable(int id) {
        return Optional.ofNullable(agents.get(id)).map(a -> agentReachable(a.path().address())).orElse(false);
    }
}
