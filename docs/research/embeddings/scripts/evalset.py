# Small hand-written cross-lingual news check set: 8 events x (en, fr, de).
EVENTS = [
 ("The European Central Bank raised interest rates by a quarter point to fight inflation.",
  "La Banque centrale européenne a relevé ses taux d'intérêt d'un quart de point pour lutter contre l'inflation.",
  "Die Europäische Zentralbank hat die Leitzinsen um einen Viertelpunkt erhöht, um die Inflation zu bekämpfen."),
 ("A strong earthquake struck southern Turkey overnight, killing dozens and destroying buildings.",
  "Un puissant séisme a frappé le sud de la Turquie dans la nuit, faisant des dizaines de morts et détruisant des immeubles.",
  "Ein starkes Erdbeben hat in der Nacht den Süden der Türkei erschüttert, Dutzende Menschen getötet und Gebäude zerstört."),
 ("France won the football World Cup final against Croatia in Moscow.",
  "La France a remporté la finale de la Coupe du monde de football contre la Croatie à Moscou.",
  "Frankreich hat das Finale der Fußball-Weltmeisterschaft gegen Kroatien in Moskau gewonnen."),
 ("Train drivers went on strike, cancelling most rail services across the country.",
  "Les conducteurs de train se sont mis en grève, entraînant l'annulation de la plupart des trains dans le pays.",
  "Die Lokführer sind in den Streik getreten, die meisten Zugverbindungen im ganzen Land fallen aus."),
 ("Wildfires forced thousands of tourists to evacuate Greek islands during a heatwave.",
  "Des incendies de forêt ont forcé des milliers de touristes à évacuer des îles grecques pendant une canicule.",
  "Waldbrände haben während einer Hitzewelle Tausende Touristen zur Evakuierung griechischer Inseln gezwungen."),
 ("The company unveiled a new smartphone with a faster chip and a better camera.",
  "L'entreprise a présenté un nouveau smartphone doté d'une puce plus rapide et d'un meilleur appareil photo.",
  "Das Unternehmen hat ein neues Smartphone mit schnellerem Chip und besserer Kamera vorgestellt."),
 ("Parliament passed a law to raise the retirement age from 62 to 64.",
  "Le Parlement a adopté une loi pour relever l'âge de départ à la retraite de 62 à 64 ans.",
  "Das Parlament hat ein Gesetz verabschiedet, das das Rentenalter von 62 auf 64 Jahre anhebt."),
 ("Scientists discovered a new species of frog in the Amazon rainforest.",
  "Des scientifiques ont découvert une nouvelle espèce de grenouille dans la forêt amazonienne.",
  "Wissenschaftler haben im Amazonas-Regenwald eine neue Froschart entdeckt."),
]

import numpy as np
def report(name, embed):
    """embed: list[str] -> (n,d) array. Prints FR-DE same-event vs unrelated cosine and retrieval acc."""
    en = np.asarray(embed([e[0] for e in EVENTS]), dtype=np.float32)
    fr = np.asarray(embed([e[1] for e in EVENTS]), dtype=np.float32)
    de = np.asarray(embed([e[2] for e in EVENTS]), dtype=np.float32)
    n = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    en, fr, de = n(en), n(fr), n(de)
    S = fr @ de.T
    same = np.diag(S).mean(); off = S[~np.eye(len(S), dtype=bool)].mean()
    acc_fd = (S.argmax(1) == np.arange(len(S))).mean()
    acc_ed = ((en @ de.T).argmax(1) == np.arange(len(S))).mean()
    acc_ef = ((en @ fr.T).argmax(1) == np.arange(len(S))).mean()
    print(f"{name}: FR-DE same-event cos={same:.3f}  unrelated cos={off:.3f}  gap={same-off:.3f}  "
          f"top1 FR->DE={acc_fd:.2f} EN->DE={acc_ed:.2f} EN->FR={acc_ef:.2f}  "
          f"(pair0 FR/DE={S[0,0]:.3f}, FR0/DE7={S[0,7]:.3f})")
    return en, fr, de

def bench_sentences(n=200):
    """~128-token English news-like sentences."""
    base = ("The government announced on Tuesday a new package of measures to support households facing "
            "higher energy bills, including direct payments, a cap on prices and tax cuts for small businesses, "
            "while opposition parties criticised the plan as too little and too late for families already "
            "struggling with inflation, rising rents and the cost of food across the country this winter, "
            "according to officials speaking at a press conference in the capital.")
    return [f"{i} " + base for i in range(n)]
