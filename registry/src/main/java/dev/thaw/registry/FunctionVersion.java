package dev.thaw.registry;

import java.time.Instant;

/**
 * One deployed, immutable version of a function.
 *
 * @param name         the function's name ({@code [a-z][a-z0-9-]{0,62}})
 * @param version      1 for the first deploy, then +1 per deploy; never changes meaning
 * @param manifestJson the manifest as deployed (the bundle's function.json), UTF-8 JSON
 * @param bundleSha256 hex SHA-256 of the bundle bytes
 * @param bundleSize   bytes of the bundle
 * @param deployedAt   when this version was stored
 */
public record FunctionVersion(String name, int version, String manifestJson, String bundleSha256,
                              long bundleSize, Instant deployedAt) {}
