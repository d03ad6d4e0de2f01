# vitale-corrupt - Vitale 2 card whose files are corrupt TLV (bad-input tests
# of santecard-vitale): card.corrupt_tlv cuts the last identity and NIR
# templates short (docs/SIMULATOR-VITALE.md §1.5). Fictitious person.
card = vitale2
card.validity = 20200115
card.corrupt_tlv = yes

beneficiary.1.surname = CORROMPU-TEST
beneficiary.1.given = JEAN
beneficiary.1.birth = 19700101
# man, born 01/1970 in Paris 15e (75 115), order 007
beneficiary.1.nir = 170017511500775
