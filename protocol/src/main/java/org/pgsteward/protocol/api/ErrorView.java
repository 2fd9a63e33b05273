package org.pgsteward.protocol.api;

/** The body of every non-2xx answer of the API: the console's exit code and what went wrong. */
public record ErrorView(int exitCode, String message) {}
