//! The architecture as a graph: clients reach one load-balancer node per AZ
//! through DNS, and each node reaches the instances it may route to (its own
//! AZ's, or every AZ's with cross-zone load balancing).

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
}

/// The topology graph of a scenario.
#[derive(Debug, Clone)]
pub struct Topology {
    pub graph: DiGraph<Node, ()>,
    pub clients: NodeIndex,
    pub lb_nodes: Vec<NodeIndex>,
    pub instances: Vec<NodeIndex>,
}

impl Topology {
    /// Builds the graph from the scenario.
    pub fn build(s: &Scenario) -> Topology {
        let mut graph = DiGraph::new();
        let clients = graph.add_node(Node::Clients);
        let lb_nodes: Vec<NodeIndex> = (0..s.azs.len())
            .map(|az| graph.add_node(Node::LbNode { az }))
            .collect();
        let per = s.app.instances_per_az as usize;
        let instances: Vec<NodeIndex> = (0..s.instance_count())
            .map(|id| graph.add_node(Node::Instance { id, az: id / per }))
            .collect();
        for (az, &lb) in lb_nodes.iter().enumerate() {
            graph.add_edge(clients, lb, ());
            for (id, &inst) in instances.iter().enumerate() {
                if s.load_balancer.cross_zone || id / per == az {
                    graph.add_edge(lb, inst, ());
                }
            }
        }
        Topology {
            graph,
            clients,
            lb_nodes,
            instances,
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
}
