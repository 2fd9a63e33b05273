package org.pgsteward.agent.events;

import java.time.Instant;

/**
 * Something that happened on this node, as the event command hears of it.
 *
 * @param nodeId   the node it happened on (this agent's node)
 * @param nodeName its name
 * @param event    the event's name (the agent's EventNames)
 * @param success  whether it succeeded
 * @param at       when it ended
 * @param details  what happened, as the log and `cluster event` say it
 */
public record NodeEvent(int nodeId, String nodeName, String event, boolean success, Instant at, String details) {}
