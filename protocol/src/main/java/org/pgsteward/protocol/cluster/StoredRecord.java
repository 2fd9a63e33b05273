package org.pgsteward.protocol.cluster;

import org.pgsteward.protocol.CborSerializable;

/**
 * A {@link ClusterRecord} as an agent holds it: written by the supervisor incarnation of {@code term} as its
 * {@code seq}-th change. Versions compare by term, then seq: a new incarnation takes a term above every term a
 * majority promised, so its writes win over anything an older one left on a minority.
 */
public record StoredRecord(long term, long seq, ClusterRecord record) implements CborSerializable {

    /** Whether this version is newer than {@code other}'s. */
    public boolean newerThan(StoredRecord other) {
        return term != other.term ? term > other.term : seq > other.seq;
    }
}
