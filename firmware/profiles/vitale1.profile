# vitale1 - Vitale 1 card (Bull CP8 B0' mask). Its memory layout is not public
# (cards.md §2.2): card.data is opaque test memory, returned as is from address
# 0200h; it means nothing and no reader should interpret it.
card = vitale1
card.data = 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F53414E54454341524420564954414C45312054455354204D454D4F52592D2D2D
