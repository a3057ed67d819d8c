"""A sweep across a simulated two-node Ray cluster (ray.cluster_utils.Cluster)."""

import pytest

from qneuro.sweep import SweepSpec, run_sweep


@pytest.fixture
def two_nodes():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_a_sweep_runs_on_both_nodes_by_address(two_nodes, tmp_path):
    import ray

    # trials long enough (about 2 s each) that both nodes are busy at once
    spec = SweepSpec("sfq-xor", fixed={"trials": 60}, grid={"seed": "0-3"})
    result = run_sweep(
        spec, tmp_path / "s", address=two_nodes.address, progress=False, echo=lambda line: None
    )
    assert result.counts["finished"] == 4
    assert not ray.is_initialized()  # connected by address for the sweep only
    nodes = {node.node_id for node in two_nodes.list_all_nodes()}
    assert {row["node"] for row in result.rows} == nodes


def test_a_local_session_starts_its_own_ray_beside_a_running_cluster(two_nodes, monkeypatch):
    from qneuro.cluster import ray_session

    # ray.init() without an address would join the cluster RAY_ADDRESS names
    monkeypatch.setenv("RAY_ADDRESS", two_nodes.address)
    cluster_nodes = {node.node_id for node in two_nodes.list_all_nodes()}
    with ray_session(num_cpus=1) as ray:
        assert ray.cluster_resources()["CPU"] == 1  # the cluster has 2
        assert {node["NodeID"] for node in ray.nodes()}.isdisjoint(cluster_nodes)
    assert not ray.is_initialized()
