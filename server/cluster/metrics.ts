/** Cluster metrics of one hub (registered on the hub's registry). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Counters and gauges of a hub's cluster work. */
export class ClusterMetrics {
  readonly owned: Gauge;
  readonly replicas: Gauge;
  readonly forwardedOut: Counter;
  readonly forwardedIn: Counter;
  readonly leaseRenewals: Counter;
  readonly leaseLosses: Counter;
  readonly resyncs: Counter;
  readonly pubsubLag: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.owned = new Gauge({ name: 'hub_cluster_owned_meetings', help: 'Meetings this hub owns', registers });
    this.replicas = new Gauge({ name: 'hub_cluster_replica_meetings', help: 'Meetings this hub mirrors', registers });
    this.forwardedOut = new Counter({ name: 'hub_cluster_forwarded_commands_total', help: 'Commands forwarded to owners', registers });
    this.forwardedIn = new Counter({ name: 'hub_cluster_received_commands_total', help: 'Commands received from other hubs', registers });
    this.leaseRenewals = new Counter({ name: 'hub_cluster_lease_renewals_total', help: 'Lease renewals', registers });
    this.leaseLosses = new Counter({ name: 'hub_cluster_lease_losses_total', help: 'Leases lost (ownership given up)', registers });
    this.resyncs = new Counter({ name: 'hub_cluster_resyncs_total', help: 'State-vector repairs after a gap', registers });
    this.pubsubLag = new Histogram({
      name: 'hub_cluster_pubsub_lag_seconds',
      help: 'Delay from the owner publishing an update to this replica receiving it',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
  }
}
