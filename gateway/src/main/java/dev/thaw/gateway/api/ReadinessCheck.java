package dev.thaw.gateway.api;

import dev.thaw.gateway.route.Invokers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when invocations can run: the embedded engine started, or some invoker is alive. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {
    @Inject
    Invokers invokers;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("invokers").status(invokers.ready()).withData("where", invokers.where()).build();
    }
}
