"""Physical constants, literature cell parameters and the named modelling assumptions.

Every number the SFQ models use lives here, with its unit and its source:

* **literature** values are PyLSE's default pulse-level cell timings and junction counts
  (Christensen et al., "PyLSE: a pulse-transfer level language for superconductor
  electronics", PLDI 2022), as summarised in the project's design note;
* **assumption** values stand in for numbers the reference design (Krylov, Edwards,
  Friedman, Friedman, arXiv 2311.10721) does not state in a form we could read: the
  synapse switching curve, the soma loop, the critical currents, the input rates.
  They are adjustable: every cell takes them as arguments.

All quantities are brian2 quantities (``psecond``, ``uamp``, ``Ghertz``, ``weber``).
"""

from __future__ import annotations

from brian2.units.allunits import (
    Ghertz,
    ffarad,
    joule,
    kelvin,
    phenry,
    psecond,
    uamp,
    umetre,
    weber,
)

#: Magnetic flux quantum h / 2e (CODATA, exact since 2019): the area of one SFQ pulse.
PHI0 = 2.067833848e-15 * weber
#: Boltzmann constant (SI, exact since 2019; brian2's ``boltzmann_constant`` is CODATA 2014).
K_B = 1.380649e-23 * joule / kelvin

# -- literature: PyLSE default cell timings and junction counts -----------------------

#: Josephson transmission line stage delay (PyLSE default; literature).
JTL_DELAY = 5.7 * psecond
#: Junctions in one JTL stage (PyLSE; literature).
JTL_JJ = 2
#: Splitter delay, input to either output (PyLSE default; literature).
SPLITTER_DELAY = 4.3 * psecond
#: Junctions in one splitter (PyLSE; literature).
SPLITTER_JJ = 3
#: Merger delay, either input to the output (PyLSE default; literature).
MERGER_DELAY = 8.2 * psecond
#: Merger dead time: a second input pulse within this time of a passed one is lost
#: (PyLSE's merger transition time; literature).
MERGER_DEAD_TIME = 8.2 * psecond
#: Junctions in one merger (PyLSE; literature).
MERGER_JJ = 7
#: Destructive read-out (DRO) delay and junctions (PyLSE; literature). The soma's
#: storing loop is DRO-like, so its default delay and junction count start from these.
DRO_DELAY = 5.1 * psecond
DRO_JJ = 6

# -- assumptions (not given by the reference design in a readable form) --------------

#: Critical current of every junction, for the switching energy Ic * Phi0 per
#: switching event (assumption; ~2.07e-19 J per switch).
DEFAULT_IC = 100 * uamp
#: Junctions in a DC-to-SFQ converter input source (assumption; a common 3-JJ design).
DCSFQ_JJ = 3
#: Delay of a DC-to-SFQ converter (assumption; taken equal to a JTL stage).
DCSFQ_DELAY = 5.7 * psecond
#: Stochastic synapse: bias current at which it passes half of its pulses (assumption).
SYNAPSE_I50 = 100 * uamp
#: Stochastic synapse: width of the switching curve (assumption; thermal noise of a
#: ~100 uA junction at 4.2 K spreads switching over a few uA).
SYNAPSE_WIDTH = 5 * uamp
#: Stochastic synapse: the bias range on which the curve is defined (assumption; a bias
#: line delivers 0 to twice the junction's critical current).
SYNAPSE_BIAS_MIN = 0 * uamp
SYNAPSE_BIAS_MAX = 200 * uamp
#: Stochastic synapse: junctions (assumption: a biased JTL stage plus an escape junction).
SYNAPSE_JJ = 3
#: Stochastic synapse: delay (assumption; taken equal to a JTL stage).
SYNAPSE_DELAY = 5.7 * psecond
#: Soma: loop current per stored fluxon, Phi0 / L_loop with L_loop ~ 20 pH (assumption).
#: A soma bias current Ib lowers the threshold by Ib / SOMA_FLUXON_CURRENT fluxons.
SOMA_FLUXON_CURRENT = PHI0 / (20 * phenry)
#: Soma refractory time after it fires (assumption; a few junction switching times).
SOMA_REFRACTORY = 10 * psecond
#: Soma delay from the threshold-crossing input to its output pulse (assumption; DRO).
SOMA_DELAY = DRO_DELAY
#: Soma junctions (assumption; a DRO-like storing loop).
SOMA_JJ = DRO_JJ
#: Simulation time step (the design note's recipe; fine against ~5 ps cell delays).
DEFAULT_DT = 1 * psecond
#: Rate-coded XOR input rates for logical 0 and 1 (assumption).
XOR_LOW_RATE = 2 * Ghertz
XOR_HIGH_RATE = 20 * Ghertz
#: Window over which one XOR trial's output rate is counted (assumption).
XOR_DURATION = 2000 * psecond

#: One switching event of a junction at DEFAULT_IC, for reference (J).
SWITCH_ENERGY_AT_DEFAULT_IC = float(DEFAULT_IC * PHI0 / joule)

# -- circuit-level junctions (qneuro.sfq.junction): a standard Nb process -------------

#: Critical-current density of the junction process: 100 uA/um^2 = 10 kA/cm^2, the
#: MIT Lincoln Laboratory SFQ5ee process (Tolpygo et al., IEEE Trans. Appl. Supercond.
#: 26, 1100110 (2016); literature, the process's nominal value; the same group states
#: Jc = 0.1 mA/um^2 for SFQ5ee in arXiv:1612.08435, where it also extracts the specific
#: capacitance of higher-Jc junctions).
PROCESS_JC = 100 * uamp / umetre**2
#: Specific capacitance of its Nb/Al-AlOx/Nb junctions (assumption: 60 fF/um^2, inside
#: the 50-70 fF/um^2 range reported for AlOx barriers near 10 kA/cm^2; not checked
#: against the process's design manual).
PROCESS_CS = 60 * ffarad / umetre**2
#: Stewart-McCumber parameter of shunted SFQ junctions (literature: critically damped
#: junctions, beta_c ~ 1, are the SFQ design rule; the shunt is chosen to give it).
PROCESS_BETA_C = 1.0
#: Operating temperature: liquid helium at 1 atm (literature).
OPERATING_TEMPERATURE = 4.2 * kelvin
