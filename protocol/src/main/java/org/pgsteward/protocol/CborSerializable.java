package org.pgsteward.protocol;

/**
 * Marker for every message that crosses an actor-system boundary. Bound to
 * Pekko's {@code jackson-cbor} serializer in {@code reference.conf}.
 */
public interface CborSerializable {}
