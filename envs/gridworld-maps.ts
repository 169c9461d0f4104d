// Named gridworld layouts. Legend: '#' wall, '.' floor, 'S' start, 'G' goal, 'K' key, 'D' door
// (passable only while holding the key). A map without 'S' (or 'G') samples that cell per prompt.
export const GRIDWORLD_PRESETS: Record<string, { map: string[]; maxSteps: number; summary: string }> = {
  open5: {
    summary: '5×5 empty room, start and goal sampled per prompt (quickstart)',
    maxSteps: 16,
    map: ['.....', '.....', '.....', '.....', '.....'],
  },
  open7: {
    summary: '7×7 empty room, fixed start in a corner, goal sampled per prompt',
    maxSteps: 24,
    map: ['S......', '.......', '.......', '.......', '.......', '.......', '.......'],
  },
  four_rooms: {
    summary: '9×9 four rooms joined by doorways, start and goal sampled per prompt',
    maxSteps: 40,
    map: [
      '....#....',
      '....#....',
      '.........',
      '....#....',
      '##.###.##',
      '....#....',
      '.........',
      '....#....',
      '....#....',
    ],
  },
  corridor: {
    summary: 'a 2×14 corridor: start at the left end, goal at the far right; random walks rarely get there',
    maxSteps: 40,
    map: ['S............G', '..............'],
  },
  key_door: {
    summary: '7×7, the goal behind a door that opens only after picking up the key (hard exploration)',
    maxSteps: 40,
    map: ['S..#...', '...#...', '...D..G', '...#...', 'K..#...', '...#...', '...#...'],
  },
};
