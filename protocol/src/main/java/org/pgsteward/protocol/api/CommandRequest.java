package org.pgsteward.protocol.api;

import java.util.Optional;

/**
 * A console command sent to the local agent ({@code POST /api/v1/operations}).
 *
 * @param command one of {@link Commands}
 * @param args    the seed's options and the command's argument
 */
public record CommandRequest(String command, CommandArgs args) {}
