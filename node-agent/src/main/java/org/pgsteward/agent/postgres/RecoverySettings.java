package org.pgsteward.agent.postgres;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a streaming standby needs to follow its primary.
 *
 * @param primaryConninfo how to reach the primary; must not be empty
 * @param primarySlotName physical replication slot on the primary, if any ({@code [a-z0-9_]{1,63}})
 * @param recoveryTargetTimeline {@code latest}, {@code current} or a timeline ID
 */
public record RecoverySettings(Conninfo primaryConninfo, Optional<String> primarySlotName, String recoveryTargetTimeline) {

    /** Follow timeline switches (promotions) of the primary: what a managed standby wants. */
    public static final String LATEST = "latest";

    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern TIMELINE = Pattern.compile("latest|current|[1-9][0-9]{0,9}");

    public RecoverySettings {
        Objects.requireNonNull(primaryConninfo, "primaryConninfo");
        Objects.requireNonNull(primarySlotName, "primarySlotName");
        Objects.requireNonNull(recoveryTargetTimeline, "recoveryTargetTimeline");
        if (primaryConninfo.isEmpty()) {
            throw new IllegalArgumentException("primary conninfo must not be empty");
        }
        primarySlotName.ifPresent(slot -> {
            if (!SLOT_NAME.matcher(slot).matches()) {
                throw new IllegalArgumentException("invalid replication slot name \"" + slot + "\" (must match [a-z0-9_]{1,63})");
            }
        });
        if (!TIMELINE.matcher(recoveryTargetTimeline).matches()) {
            throw new IllegalArgumentException("invalid recovery_target_timeline \"" + recoveryTargetTimeline
                    + "\" (must be latest, current or a timeline ID)");
        }
    }

    /** Settings streaming from {@code primary} without a slot, following the latest timeline. */
    public static RecoverySettings of(Conninfo primary) {
        return new RecoverySettings(primary, Optional.empty(), LATEST);
    }

    /** A copy using replication slot {@code slotName}. */
    public RecoverySettings withSlot(String slotName) {
        return new RecoverySettings(primaryConninfo, Optional.of(slotName), recoveryTargetTimeline);
    }
}
