"""Questions answered from a refinement: region counts, equivalence, discrete cases."""
