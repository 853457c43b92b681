"""Many MD replicas advanced together: one batched model call per step for all of them.

The conductivity oracle runs 10 replicas per compound (2 mechanisms x 5 temperatures). Run one after
another, each step is one model call on one 40-90 atom cell, which leaves a GPU nearly idle. Here every
replica runs the unchanged `run_md` (same integrators, checks and recording) in its own thread, with a
calculator that hands its structure to a shared `Lockstep`; when every running replica has asked, one
`evaluate_batch` call (the backend's merged-graph path, as for the lockstep relaxations) answers them
all. A replica that ends (its production done, converged or blown up) leaves, and the others go on
without it.

Threads, not processes: the replicas share one model on one device; Python's lock is released inside
the model call, and the ASE integrator steps between calls are short against it. Results are those of
`run_md` with a different float32 summation order in the merged graph: the same statistics, not the
same trajectory bit for bit. Measured on a 2-core CPU (benchmarks/md_throughput.py): 0.72x, slower, as one merged
200-atom SevenNet graph costs more there than five 40-atom calls; it is meant for a GPU, which the conductivity
oracle uses it on by default (`[conductivity] batch_replicas = "auto"`).
"""

from __future__ import annotations

import threading

from ase.calculators.calculator import Calculator, all_changes

from ipscreen.energy.md import MDBlowUp, MDProtocol, MDRun, run_md


class Lockstep:
    """Collects one structure from each running replica, then evaluates them in one `evaluate_batch` call.

    evaluate_batch(list[Atoms]) -> list[{"energy" (eV), "forces" (eV/Å), "stress" (eV/Å³, Voigt)}].
    If the batched call fails, each structure is evaluated alone, so one bad structure fails only its own
    replica."""

    def __init__(self, evaluate_batch, replicas: int):
        self.evaluate_batch = evaluate_batch
        self.running = replicas
        self.pending: dict[int, object] = {}
        self.answers: dict[int, object] = {}
        self.calls = 0  # model calls made (batches)
        self._round = 0
        self._cond = threading.Condition()

    def ask(self, replica: int, atoms) -> dict:
        """The energy, forces and stress of `atoms` for `replica`; blocks until its batch is evaluated."""
        with self._cond:
            self.pending[replica] = atoms.copy()
            this_round = self._round
            if len(self.pending) == self.running:
                self._evaluate()
            while self._round == this_round:
                self._cond.wait()
            answer = self.answers.pop(replica)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def leave(self) -> None:
        """A replica has ended: the others no longer wait for it."""
        with self._cond:
            self.running -= 1
            if self.pending and len(self.pending) == self.running:
                self._evaluate()

    def _evaluate(self) -> None:  # called holding the lock, when every running replica has asked
        keys = sorted(self.pending)
        self.calls += 1
        try:
            out = self.evaluate_batch([self.pending[k] for k in keys])
        except Exception:  # noqa: BLE001 - find the structure that fails, answer the others
            out = []
            for k in keys:
                try:
                    out.append(self.evaluate_batch([self.pending[k]])[0])
                except Exception as exc:  # noqa: BLE001 - the replica's run_md turns it into MDBlowUp
                    out.append(RuntimeError(f"model call failed: {exc}"))
        self.answers.update(zip(keys, out))
        self.pending.clear()
        self._round += 1
        self._cond.notify_all()


class LockstepCalculator(Calculator):
    """An ASE calculator for one replica: its structures go through the shared Lockstep."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, lockstep: Lockstep, replica: int):
        super().__init__()
        self.lockstep, self.replica = lockstep, replica

    def calculate(self, atoms=None, properties=None, system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        r = self.lockstep.ask(self.replica, self.atoms)
        self.results = {"energy": r["energy"], "free_energy": r["energy"], "forces": r["forces"],
                        "stress": r["stress"]}


def run_md_lockstep(replicas: list[tuple], evaluate_batch) -> tuple[list[MDRun | str], int]:
    """`run_md` of every (atoms, protocol, seed, stop_check) in `replicas`, advanced together with one
    `evaluate_batch` call per step; in input order, an MDRun or the reason the run blew up (str). Also returns
    the number of model calls made."""
    lockstep = Lockstep(evaluate_batch, len(replicas))
    out: list = [None] * len(replicas)

    def work(k: int, atoms, protocol: MDProtocol, seed, stop_check) -> None:
        try:
            out[k] = run_md(atoms, LockstepCalculator(lockstep, k), protocol, seed=seed, stop_check=stop_check)
        except MDBlowUp as exc:
            out[k] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            out[k] = exc
        finally:
            lockstep.leave()

    threads = [threading.Thread(target=work, args=(k, *r), name=f"md-replica-{k}", daemon=True)
               for k, r in enumerate(replicas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in out:
        if isinstance(r, BaseException):
            raise r
    return out, lockstep.calls
