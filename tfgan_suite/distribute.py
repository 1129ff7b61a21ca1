"""The one strategy factory: default, `mirrored` (one host, N devices), `multi_worker` (hosts from TF_CONFIG)."""

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")


def make_strategy(name="default", devices=None):
    """Returns the `tf.distribute.Strategy` called `name`.

    `devices` (mirrored only) lists the local devices to mirror over, e.g. ["/cpu:0", "/cpu:1"];
    by default every visible GPU, or the CPU when there is none.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        cross_device_ops = None
        if not tf.config.list_logical_devices("GPU"):
            # On CPU devices the default collective all-reduce mismatches the per-replica
            # collectives of synchronized batch normalization ("Shape mismatch in the collective
            # instance", seen on TF 2.21); reducing through one device keeps them in step.
            cross_device_ops = tf.distribute.ReductionToOneDevice()
        return tf.distribute.MirroredStrategy(devices, cross_device_ops=cross_device_ops)
    if name == "multi_worker":
        # Reads the cluster from TF_CONFIG; with no TF_CONFIG it is a single local worker.
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"Unknown strategy {name!r}: choose one of {', '.join(STRATEGIES)}.")


def split_cpu(num_devices):
    """Splits the host CPU into `num_devices` logical devices so MirroredStrategy has replicas on a
    CPU-only machine. Must run before TensorFlow initialises its devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
    )
    return [f"/cpu:{i}" for i in range(num_devices)]
