"""The OpenQASM token grammar as vectorised masks of the tokens allowed next.

Constrained decoding keeps, per sequence, where it is inside a statement (its *phase*)
and masks every token that would make the program invalid: a family token only right
after the size prompt; then a gate token (only gates needing at most the register's
qubits), ``measure`` (final measurement) or ``<eos>`` (only after at least one gate);
after a parameterised gate exactly one angle token; then exactly as many qubit tokens
as the gate takes, each below the register size and not repeated in that gate. When a
further statement could not fit in the context, only ``<eos>`` is allowed. So every
constrained output decodes to a normalised program that parses with ``qiskit.qasm2``.

With a :class:`~qneuro.generators.normal_form.NormalForm` (the model folder's
``normal_form.json``, on by default) the masks also keep the corpus's normal form: a
single-qubit gate may go on a qubit only when that pair (the qubit's previous
single-qubit gate, this gate) occurs in the training split, and a single-qubit gate
token is allowed only when some qubit can take it. So ``rz`` never lands right after
``rz`` on one qubit, as in every normalised real circuit.
"""

from __future__ import annotations

import torch

from qneuro.generators.normal_form import NormalForm
from qneuro.generators.tokenizer import EOS, GATES, MEASURE, PAD, Tokenizer

#: Phases of a sequence: expecting the family token, a gate (or ``measure``/``<eos>``),
#: a gate's angle, a gate's next qubit, ``<eos>`` after ``measure``; or finished.
PH_FAMILY, PH_GATE, PH_ANGLE, PH_QUBIT, PH_EOS, PH_DONE = range(6)


class Grammar:
    """Vectorised token masks for a tokenizer (see module docstring)."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        device: torch.device | str = "cpu",
        normal_form: NormalForm | None = None,
    ):
        v = len(tokenizer)
        self.tok = tokenizer
        self.device = device
        gate_names = list(GATES)
        self.gate_ids = torch.tensor([tokenizer.index[f"g:{g}"] for g in gate_names], device=device)
        #: gate index (position in GATES) of each token, -1 for other tokens
        self.gate_index = torch.full((v,), -1, dtype=torch.long, device=device)
        self.gate_index[self.gate_ids] = torch.arange(len(gate_names), device=device)
        #: ``no_gate``: the "previous gate" of a qubit that has none or had a multi-qubit gate
        self.no_gate = len(gate_names)
        self.single = torch.tensor([GATES[g][1] == 1 for g in gate_names], device=device)
        self.normal_form = normal_form
        # blocked[a, b]: single-qubit gate b may not follow a on one qubit
        self.blocked = torch.zeros(len(gate_names) + 1, len(gate_names), dtype=torch.bool)
        if normal_form is not None:
            for i, a in enumerate(gate_names):
                for j, b in enumerate(gate_names):
                    pair_single = GATES[a][1] == 1 and GATES[b][1] == 1
                    self.blocked[i, j] = pair_single and (a, b) not in normal_form.allowed
        self.blocked = self.blocked.to(device)
        self.gate_params = torch.zeros(v, dtype=torch.long, device=device)
        self.gate_qubits = torch.zeros(v, dtype=torch.long, device=device)
        for g in gate_names:
            i = tokenizer.index[f"g:{g}"]
            self.gate_params[i], self.gate_qubits[i] = GATES[g]
        fam = torch.zeros(v, dtype=torch.bool, device=device)
        fam[tokenizer.family_offset : tokenizer.family_offset + len(tokenizer.families) + 1] = True
        self.family_mask = fam
        ang = torch.zeros(v, dtype=torch.bool, device=device)
        ang[[i for t, i in tokenizer.index.items() if t.startswith("a:")]] = True
        self.angle_mask = ang
        self.max_statement = 1 + max(p + q for p, q in GATES.values())

    def masks(
        self,
        phase: torch.Tensor,
        nq: torch.Tensor,
        used: torch.Tensor,
        length: torch.Tensor,
        context: int,
        gates_done: torch.Tensor,
        last: torch.Tensor | None = None,
        gate: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Boolean (batch, vocab) mask of allowed next tokens.

        ``last`` (batch, max_qubits): gate index of each qubit's previous gate
        (:attr:`no_gate` after a multi-qubit gate or none); ``gate`` (batch,): index of
        the gate whose qubits are being chosen. Both are needed with a normal form.
        """
        b = phase.shape[0]
        v = len(self.tok)
        allowed = torch.zeros(b, v, dtype=torch.bool, device=self.device)
        allowed[phase == PH_FAMILY] = self.family_mask
        allowed[phase == PH_ANGLE] = self.angle_mask
        gate_rows = phase == PH_GATE
        room = (length + self.max_statement + 1) <= context
        can_gate = gate_rows & room
        fits = self.gate_qubits[self.gate_ids][None, :] <= nq[:, None]
        q_ids = torch.arange(self.tok.max_qubits, device=self.device)
        if self.normal_form is not None:
            # a gate needs one register qubit that may take it
            in_register = q_ids[None, :] < nq[:, None]
            takes = ~self.blocked[last] & in_register[:, :, None]  # (batch, qubit, gate)
            fits = fits & takes.any(dim=1)
        allowed[:, self.gate_ids] = can_gate[:, None] & fits
        allowed[:, EOS] = (gate_rows & (gates_done > 0)) | (phase == PH_EOS)
        allowed[:, MEASURE] = gate_rows & (gates_done > 0) & ((length + 2) <= context)
        qrows = phase == PH_QUBIT
        ok_q = qrows[:, None] & (q_ids[None, :] < nq[:, None]) & ~used
        if self.normal_form is not None:
            ok_q &= ~self.blocked[last, gate.clamp(min=0)[:, None]]
        allowed[:, self.tok.qubit_offset : self.tok.qubit_offset + self.tok.max_qubits] = ok_q
        allowed[phase == PH_DONE, PAD] = True
        return allowed
