# vitale-family - Vitale 2 card with three beneficiaries (fictitious family).
# Beneficiary 2 was born in Corsica (department 2A): her NIR key is computed with
# 2A -> 19 (cards.md §2.5). Keys: docs/SIMULATOR.md.
card = vitale2
card.validity = 20190903

beneficiary.1.surname = MARTIN-TEST
beneficiary.1.given = PIERRE
beneficiary.1.birth = 19790314
# man, born 03/1979 in Lyon (69 123), order 045
beneficiary.1.nir = 179036912304535
beneficiary.1.rank = 1
beneficiary.1.quality = 00

beneficiary.2.surname = MARTIN-TEST
beneficiary.2.given = SOPHIE
beneficiary.2.birth = 19811102
# woman, born 11/1981 in Ajaccio (2A 004), order 018
beneficiary.2.nir = 281112A00401815
beneficiary.2.rank = 1
# 02 = conjoint
beneficiary.2.quality = 02

beneficiary.3.surname = MARTIN-TEST
beneficiary.3.given = LÉA
beneficiary.3.birth = 20120721
# girl, born 07/2012 in Lyon 3e (69 383), order 112
beneficiary.3.nir = 212076938311224
beneficiary.3.rank = 1
# 06 = enfant
beneficiary.3.quality = 06
