package dev.thaw.embedded;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.OptionalInt;

/** The embedded platform's own settings, beside the gateway's ({@code thaw.*}). */
@ConfigMapping(prefix = "thaw")
public interface EmbeddedConfig {
    /** Registry, snapshots, work files and the generated admin token. */
    @WithDefault("${user.home}/.thaw/state")
    String stateDir();

    /** Runner threads (default: one per CPU). */
    OptionalInt runners();

    /**
     * Host memory the warm shells may take, estimated: a share of physical memory or a size
     * ({@code 25%}, {@code 512m}, {@code 4g}); see {@code ShellMemoryBudget}.
     */
    @WithDefault("25%")
    String shellMemoryBudget();
}
