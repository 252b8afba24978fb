import Metrics
import Prometheus

/// The process's Prometheus registry: faxd's own families are registered in it directly (their help
/// texts, and the removal of a departed partition's or tenant's series, which the facade has no
/// words for), and the swift-metrics facade is bootstrapped onto it, so what libraries record through
/// swift-metrics — Hummingbird's request counts and durations per route — is on `/metrics` too.
enum CommandMetrics {
    /// Bootstraps `MetricsSystem` (once per process: call it once, from the command's `run`).
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
