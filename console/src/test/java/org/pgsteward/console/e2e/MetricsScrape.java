package org.pgsteward.console.e2e;

import java.util.List;
import java.util.Optional;

/** One scrape of an agent's /metrics (Prometheus text format), read by series name and labels. */
record MetricsScrape(String text) {

    /** The value of the first sample of {@code name} whose labels include every {@code label="value"} given. */
    Optional<Double> value(String name, String... labels) {
        for (String line : text.lines().toList()) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            String series = line.substring(0, line.lastIndexOf(' '));
            if (List.of(labels).stream().allMatch(series::contains)) {
                return Optional.of(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return Optional.empty();
    }

    boolean has(String name) {
        return value(name).isPresent();
    }
}
