//! The architecture as a graph: clients reach one load-balancer node per AZ
//! through DNS, each node reaches the instances it may route to (its own
//! AZ's, or every AZ's of its region with cross-zone load balancing), and every instance
//! reaches the data tier's nodes (database, cache, session store).

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::scenario::Scenario;

/// A vertex of the topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Clients,
    /// The LB node in AZ `az`.
    LbNode {
        az: usize,
    },
    /// App instance with global index `id`.
    Instance {
        id: usize,
        az: usize,
    },
    /// Database node `node` (0 starts as primary) in AZ `az`.
    Database {
        node: usize,
        az: usize,
    },
    /// Cache node (0 starts as primary).
    Cache {
        node: usize,
        az: usize,
    },
    /// Session store node (0 starts as primary).
    SessionStore {
        node: usize,
        az: usize,
    },
}

/// The topology graph of a scenario.
#[derive(Debug, Clone)]
pub struct Topology {
    pub graph: DiGraph<Node, ()>,
    pub clients: NodeIndex,
    pub lb_nodes: Vec<NodeIndex>,
    pub instances: Vec<NodeIndex>,
    /// Database, cache and session-store nodes, in that order.
    pub data: Vec<NodeIndex>,
}

impl Topology {
    /// Builds the graph from the scenario.
    pub fn build(s: &Scenario) -> Topology {
        let mut graph = DiGraph::new();
        let clients = graph.add_node(Node::Clients);
        let lb_nodes: Vec<NodeIndex> = (0..s.azs.len())
            .map(|az| graph.add_node(Node::LbNode { az }))
            .collect();
        let inst_azs = s.initial_azs();
        let instances: Vec<NodeIndex> = inst_azs
            .iter()
            .enumerate()
            .map(|(id, &az)| graph.add_node(Node::Instance { id, az }))
            .collect();
        // A node routes only inside its region, whatever cross-zone says.
        let region = s.region_of_az();
        for (az, &lb) in lb_nodes.iter().enumerate() {
            graph.add_edge(clients, lb, ());
            for (id, &inst) in instances.iter().enumerate() {
                let a = inst_azs[id];
                if (s.load_balancer.cross_zone || a == az) && region[a] == region[az] {
                    graph.add_edge(lb, inst, ());
                }
            }
        }
        let n_azs = s.azs.len();
        let mut tiers: Vec<Node> = Vec::new();
        if let Some(db) = &s.database {
            tiers.extend((0..db.node_count() as usize).map(|node| Node::Database {
                node,
                az: db.node_az(node, n_azs),
            }));
        }
        for (store, is_cache) in [
            (s.cache.as_ref().map(|c| &c.store), true),
            (s.session_store.as_ref(), false),
        ] {
            let Some(store) = store else { continue };
            tiers.extend((0..store.node_count()).map(|node| {
                let az = store.node_az(node, n_azs);
                if is_cache {
                    Node::Cache { node, az }
                } else {
                    Node::SessionStore { node, az }
                }
            }));
        }
        let data: Vec<NodeIndex> = tiers.into_iter().map(|n| graph.add_node(n)).collect();
        for &inst in &instances {
            for &d in &data {
                graph.add_edge(inst, d, ());
            }
        }
        Topology {
            graph,
            clients,
            lb_nodes,
            instances,
            data,
        }
    }

    /// Instances the LB node of `az` may route to, in ascending id order.
    pub fn targets_of(&self, az: usize) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .graph
            .edges(self.lb_nodes[az])
            .filter_map(|e| match self.graph[e.target()] {
                Node::Instance { id, .. } => Some(id as u32),
                _ => None,
            })
            .collect();
        // petgraph lists edges newest first; routing needs a stable order.
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn cross_zone_decides_which_targets_a_node_reaches() {
        let on = load_str("azs: [a, b]\napp: {instances_per_az: 2}", "t", "t", &[]).unwrap();
        let t = Topology::build(&on);
        assert_eq!(t.targets_of(1), vec![0, 1, 2, 3]);
        let off = load_str(
            "azs: [a, b]\napp: {instances_per_az: 2}\nload_balancer: {cross_zone: false}",
            "t",
            "t",
            &[],
        )
        .unwrap();
        let t = Topology::build(&off);
        assert_eq!(t.targets_of(0), vec![0, 1]);
        assert_eq!(t.targets_of(1), vec![2, 3]);
        assert_eq!(t.graph.edge_count(), 2 + 4);
    }

    #[test]
    fn data_tier_nodes_follow_their_primary_az_and_every_instance_reaches_them() {
        let s = load_str(
            "azs: [a, b, c]\napp: {instances_per_az: 1}\ndatabase: {mode: multi_az_cluster, primary_az: c}\ncache: {replica: false}",
            "t",
            "t",
            &[],
        )
        .unwrap();
        let t = Topology::build(&s);
        let nodes: Vec<&Node> = t.data.iter().map(|&i| &t.graph[i]).collect();
        assert_eq!(
            nodes,
            vec![
                &Node::Database { node: 0, az: 2 },
                &Node::Database { node: 1, az: 0 },
                &Node::Database { node: 2, az: 1 },
                &Node::Cache { node: 0, az: 0 },
            ]
        );
        // 3 client->LB, 3x3 LB->instance (cross-zone), 3x4 instance->data.
        assert_eq!(t.graph.edge_count(), 3 + 9 + 12);
    }
}
